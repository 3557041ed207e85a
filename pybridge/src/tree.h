/* jaxon.tree(): what a file holds, read from its metadata only (tree.c). */
#ifndef JX_TREE_H
#define JX_TREE_H

#include "ext.h"

/* _tree(path_or_file, node_class): the root node of the file's pytree, built of node_class
 * instances (jaxon._tree.TreeNode) with every field set, and the layout version text, as a
 * tuple (root, version). Raises JaxonFormatError when the file is not HDF5 or holds no
 * Jaxon tree; violations inside the tree become nodes of kind "invalid". */
PyObject *jx_tree(PyObject *module, PyObject *args, PyObject *kwargs);

#endif /* JX_TREE_H */
