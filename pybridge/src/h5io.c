/* Dataset transfers that stay interruptible.
 *
 * A single H5Dwrite/H5Dread of a multi-GiB array runs for seconds with the GIL released,
 * and Python only runs its SIGINT handler once the call returns: Ctrl-C would be honoured
 * after the whole transfer (and, on save, after the file had replaced its target). Large
 * transfers are therefore cut into hyperslabs of about JX_IO_PIECE_BYTES along the
 * outermost axes; the GIL is released for each piece and pending signals are handled
 * between pieces, so an interrupt stops the transfer within one piece's time. */
#include "h5util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jxv_integrity.h"

/* Below this, one call with the GIL held: releasing it costs more than it lets others do. */
#define JX_IO_NOGIL_BYTES ((hsize_t)1 << 20)
/* One piece: tens of milliseconds of disk or page-cache time. */
#define JX_IO_PIECE_BYTES ((hsize_t)64 << 20)

/* Starts the disk write-back of what a large write left in the page cache, without waiting
 * for it. A save fsyncs its file before the rename (replace.c); without this the kernel
 * starts writing only then (or at its dirty threshold), so the disk idles while the data
 * is copied and the copy idles while the disk writes. Kicked after each large dataset
 * write, the disk works while the next arrays are copied, and the fsync waits only for the
 * tail. Only for files on the POSIX (sec2) driver, whose handle is a file descriptor;
 * failures are ignored: the fsync still makes the file durable. */
int jx_sec2_fd(hid_t obj, int *fd, hsize_t *base)
{
    hid_t fid = H5Iget_file_id(obj), fapl = -1, fcpl = -1;
    void *handle = NULL;
    int ok = fid >= 0 && (fapl = H5Fget_access_plist(fid)) >= 0 &&
             (fcpl = H5Fget_create_plist(fid)) >= 0 && H5Pget_driver(fapl) == H5FD_SEC2 &&
             H5Pget_userblock(fcpl, base) >= 0 && H5Fget_vfd_handle(fid, fapl, &handle) >= 0 &&
             handle;
    if (ok)
        *fd = *(int *)handle;
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (fid >= 0)
        H5Fclose(fid);
    H5Eclear2(H5E_DEFAULT);
    return ok;
}

static void start_writeback(hid_t dset)
{
#ifdef SYNC_FILE_RANGE_WRITE
    int fd;
    hsize_t base;
    if (jx_sec2_fd(dset, &fd, &base)) {
        Py_BEGIN_ALLOW_THREADS
        (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        Py_END_ALLOW_THREADS
    }
#else
    (void)dset;
#endif
}

static herr_t transfer(hid_t dset, hid_t memtype, hid_t mspace, hid_t fspace, void *buf,
                       int writing)
{
    return writing ? H5Dwrite(dset, memtype, mspace, fspace, H5P_DEFAULT, buf)
                   : H5Dread(dset, memtype, mspace, fspace, H5P_DEFAULT, buf);
}

static herr_t transfer_nogil(hid_t dset, hid_t memtype, hid_t mspace, hid_t fspace, void *buf,
                             int writing)
{
    herr_t rc;
    Py_BEGIN_ALLOW_THREADS
    rc = transfer(dset, memtype, mspace, fspace, buf, writing);
    Py_END_ALLOW_THREADS
    return rc;
}

int jx_dataset_io(hid_t dset, hid_t memtype, void *buf, hsize_t nbytes, int writing)
{
    return jx_dataset_io_cb(dset, memtype, buf, nbytes, writing, NULL, NULL);
}

int jx_dataset_io_cb(hid_t dset, hid_t memtype, void *buf, hsize_t nbytes, int writing,
                     int (*cb)(void *ctx, hsize_t bytes), void *ctx)
{
    return jx_dataset_io_pieces(dset, memtype, buf, nbytes, writing, JX_IO_PIECE_BYTES, cb, ctx);
}

int jx_dataset_io_pieces(hid_t dset, hid_t memtype, void *buf, hsize_t nbytes, int writing,
                         hsize_t piece_bytes, int (*cb)(void *ctx, hsize_t bytes), void *ctx)
{
    hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK], count[H5S_MAX_RANK];
    hid_t fspace = -1, mspace = -1;
    int rc = -1;
    if (nbytes < JX_IO_NOGIL_BYTES) {
        if (transfer(dset, memtype, H5S_ALL, H5S_ALL, buf, writing) < 0)
            return -1;
        return cb ? cb(ctx, nbytes) : 0;
    }
    size_t elem = H5Tget_size(memtype);
    fspace = H5Dget_space(dset);
    if (elem == 0 || fspace < 0)
        goto done;
    int nd = H5Sget_simple_extent_dims(fspace, dims, NULL);
    if (nd < 0)
        goto done;
    if (nd == 0) {
        rc = transfer_nogil(dset, memtype, H5S_ALL, H5S_ALL, buf, writing) < 0 ? -1 : 0;
        if (rc == 0 && cb)
            rc = cb(ctx, nbytes);
        goto done;
    }
    hid_t dcpl = H5Dget_create_plist(dset);
    int chunked = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    /* inner = bytes of one index step along axis k; k = the outermost axis whose step fits
     * in a piece (the last axis always does: its step is one element) */
    int k = 0;
    hsize_t inner = elem;
    for (int i = 1; i < nd; i++)
        inner *= dims[i];
    while (inner > piece_bytes && k + 1 < nd) {
        k++;
        inner /= dims[k];
    }
    hsize_t rows = piece_bytes / inner ? piece_bytes / inner : 1;
    hsize_t outer = 1;
    for (int i = 0; i < k; i++)
        outer *= dims[i];
    for (int i = 0; i < nd; i++) {
        start[i] = 0;
        count[i] = i < k ? 1 : dims[i];
    }
    for (hsize_t p = 0; p < outer; p++) {
        /* the multi-index of outer position p over axes 0..k-1 */
        hsize_t rest = p;
        for (int i = k - 1; i >= 0; i--) {
            start[i] = rest % dims[i];
            rest /= dims[i];
        }
        for (hsize_t r = 0; r < dims[k]; r += rows) {
            hsize_t n = dims[k] - r < rows ? dims[k] - r : rows;
            start[k] = r;
            count[k] = n;
            if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
                goto done;
            /* chunked: the memory space has the selection's shape; with a flat one HDF5
             * maps chunks to memory element by element (15x slower on a 64 MiB
             * compressed write). Contiguous: flat, the path measured for plain data. */
            hsize_t melems = n * (inner / elem);
            int mnd = chunked ? nd : 1;
            const hsize_t *mdims = chunked ? count : &melems;
            if (mspace < 0)
                mspace = H5Screate_simple(mnd, mdims, NULL);
            else if (H5Sset_extent_simple(mspace, mnd, mdims, NULL) < 0)
                goto done;
            if (mspace < 0)
                goto done;
            char *at = (char *)buf + (size_t)((p * dims[k] + r) * inner);
            if (transfer_nogil(dset, memtype, mspace, fspace, at, writing) < 0)
                goto done;
            if (PyErr_CheckSignals() < 0)
                goto done;
            if (writing)
                start_writeback(dset);
            if (cb && cb(ctx, n * inner) < 0)
                goto done;
        }
    }
    rc = 0;
done:
    if (mspace >= 0)
        H5Sclose(mspace);
    if (fspace >= 0)
        H5Sclose(fspace);
    return rc;
}

/* Pieces of a hashed direct read: the kernel's copy leaves each in the L2 cache, where the
 * hash reads it again at cache speed instead of memory speed. Larger pieces fall partly out
 * of the cache before they are hashed when the kernel copies into memory that is already
 * mapped (an array allocator reusing freed memory), smaller ones cost more system calls
 * than they save (bench/integrity_arrays_results.md). */
#define JX_DIRECT_PIECE ((size_t)128 << 10)

int jx_dataset_read_crc(hid_t dset, hid_t memtype, void *buf, size_t nbytes, uint32_t *crc)
{
    hid_t dcpl = H5Dget_create_plist(dset), ftype = H5Dget_type(dset);
    int ok = dcpl >= 0 && ftype >= 0 && H5Pget_layout(dcpl) == H5D_CONTIGUOUS &&
             H5Pget_nfilters(dcpl) == 0 && H5Pget_external_count(dcpl) == 0 &&
             H5Tequal(ftype, memtype) > 0;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (ftype >= 0)
        H5Tclose(ftype);
    haddr_t off = ok ? H5Dget_offset(dset) : HADDR_UNDEF;
    hsize_t base = 0;
    int fd = -1;
    struct stat st;
    H5Eclear2(H5E_DEFAULT);
    /* the bytes must all be in the file where HDF5 says (a damaged address is HDF5's to
     * report: the caller then reads through it) */
    if (off == HADDR_UNDEF || H5Dget_storage_size(dset) != nbytes || !jx_sec2_fd(dset, &fd, &base) ||
        fstat(fd, &st) != 0 || base > (hsize_t)st.st_size ||
        off > (hsize_t)st.st_size - base || nbytes > (hsize_t)st.st_size - base - off)
        return 0;
    uint32_t c = 0;
    size_t done = 0;
    int failed = 0;
    while (done < nbytes && !failed) {
        /* the GIL released per group of pieces; Ctrl-C is handled between groups */
        size_t group_end = nbytes - done > JX_IO_PIECE_BYTES ? done + JX_IO_PIECE_BYTES : nbytes;
        Py_BEGIN_ALLOW_THREADS
        while (done < group_end) {
            size_t want = group_end - done < JX_DIRECT_PIECE ? group_end - done : JX_DIRECT_PIECE;
            ssize_t got = pread(fd, (char *)buf + done, want, (off_t)(base + off + done));
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                failed = 1;
                break;
            }
            c = jxv_crc32c(c, (char *)buf + done, (size_t)got);
            done += (size_t)got;
        }
        Py_END_ALLOW_THREADS
        if (!failed && done < nbytes && PyErr_CheckSignals() < 0)
            return -1;
    }
    if (failed)
        return 0; /* a short file after all: HDF5 reads and reports it */
    *crc = c;
    return 1;
}
