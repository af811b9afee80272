#ifndef UNDERSTUDY_FRAME_CODEC_H
#define UNDERSTUDY_FRAME_CODEC_H
#include <stddef.h>
#include <stdint.h>

/// Lossless image codecs for frame tiles. Pixels are 32-bit BGRX rows (X's ZPixmap order on
/// little-endian machines); the X byte is ignored. libpng reports errors with longjmp, which
/// Swift cannot catch, so the calls live here and return a status instead.

/// Encoded bytes owned by the caller; release with `fc_buffer_free`.
typedef struct {
    uint8_t *data;
    size_t size;
} fc_buffer;

void fc_buffer_free(fc_buffer *buffer);

/// PNG, 8-bit RGB. `level` is zlib's 0-9; `filters` is a libpng filter mask (0x08 none,
/// 0x10 sub, 0x20 up, 0xF8 all). Returns 0 on success.
int fc_encode_png(const uint8_t *bgrx, int width, int height, int stride,
                  int level, int filters, fc_buffer *out);

/// WebP lossless (exact), `method` 0-6 trades time for size. Returns 0 on success.
int fc_encode_webp_lossless(const uint8_t *bgrx, int width, int height, int stride,
                            int method, fc_buffer *out);

/// Decodes a PNG into BGRX rows (X byte 0xFF). `*pixels` is malloc'd; free with `fc_free`.
int fc_decode_png(const uint8_t *data, size_t size, uint8_t **pixels, int *width, int *height);

/// Decodes a WebP image into BGRX rows (X byte 0xFF). Free `*pixels` with `fc_free`.
int fc_decode_webp(const uint8_t *data, size_t size, uint8_t **pixels, int *width, int *height);

void fc_free(void *pointer);

#endif
