/* The NumPy C API for every file of the extension; module.c imports it (JX_NUMPY_IMPORT). */
#ifndef JX_NPY_H
#define JX_NPY_H

#define PY_ARRAY_UNIQUE_SYMBOL jx_ARRAY_API
#ifndef JX_NUMPY_IMPORT
#define NO_IMPORT_ARRAY
#endif
#define NPY_NO_DEPRECATED_API NPY_1_22_API_VERSION
#include <numpy/arrayobject.h>
#include <numpy/arrayscalars.h>

#endif /* JX_NPY_H */
