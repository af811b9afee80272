#include "frame_codec.h"
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <webp/decode.h>
#include <webp/encode.h>

void fc_buffer_free(fc_buffer *buffer) {
    free(buffer->data);
    buffer->data = NULL;
    buffer->size = 0;
}

void fc_free(void *pointer) { free(pointer); }

static void fc_png_write(png_structp png, png_bytep data, png_size_t length) {
    fc_buffer *out = (fc_buffer *)png_get_io_ptr(png);
    size_t needed = out->size + length;
    uint8_t *grown = realloc(out->data, needed);
    if (!grown) png_error(png, "out of memory");
    memcpy(grown + out->size, data, length);
    out->data = grown;
    out->size = needed;
}

static void fc_png_flush(png_structp png) { (void)png; }

int fc_encode_png(const uint8_t *bgrx, int width, int height, int stride,
                  int level, int filters, fc_buffer *out) {
    out->data = NULL;
    out->size = 0;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (!png) return -1;
    png_infop info = png_create_info_struct(png);
    uint8_t *volatile row = malloc((size_t)width * 3);
    if (!info || !row || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        free(row);
        fc_buffer_free(out);
        return -2;
    }
    png_set_write_fn(png, out, fc_png_write, fc_png_flush);
    png_set_compression_level(png, level);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, filters);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) {
        const uint8_t *src = bgrx + (size_t)y * (size_t)stride;
        for (int x = 0; x < width; x++) {
            row[3 * x + 0] = src[4 * x + 2];
            row[3 * x + 1] = src[4 * x + 1];
            row[3 * x + 2] = src[4 * x + 0];
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    return 0;
}

int fc_encode_webp_lossless(const uint8_t *bgrx, int width, int height, int stride,
                            int method, fc_buffer *out) {
    out->data = NULL;
    out->size = 0;
    WebPConfig config;
    WebPPicture picture;
    WebPMemoryWriter writer;
    if (!WebPConfigInit(&config) || !WebPPictureInit(&picture)) return -1;
    config.lossless = 1;
    config.method = method;
    config.quality = 0;
    config.exact = 1;
    picture.use_argb = 1;
    picture.width = width;
    picture.height = height;
    if (!WebPPictureImportBGRX(&picture, bgrx, stride)) return -2;
    WebPMemoryWriterInit(&writer);
    picture.writer = WebPMemoryWrite;
    picture.custom_ptr = &writer;
    int ok = WebPEncode(&config, &picture);
    WebPPictureFree(&picture);
    if (!ok) {
        WebPMemoryWriterClear(&writer);
        return -3;
    }
    out->data = writer.mem;
    out->size = writer.size;
    return 0;
}

int fc_decode_png(const uint8_t *data, size_t size, uint8_t **pixels, int *width, int *height) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, size)) return -1;
    image.format = PNG_FORMAT_BGRA;
    uint8_t *buffer = malloc(PNG_IMAGE_SIZE(image));
    if (!buffer) {
        png_image_free(&image);
        return -2;
    }
    if (!png_image_finish_read(&image, NULL, buffer, 0, NULL)) {
        free(buffer);
        png_image_free(&image);
        return -3;
    }
    *pixels = buffer;
    *width = (int)image.width;
    *height = (int)image.height;
    return 0;
}

int fc_decode_webp(const uint8_t *data, size_t size, uint8_t **pixels, int *width, int *height) {
    uint8_t *decoded = WebPDecodeBGRA(data, size, width, height);
    if (!decoded) return -1;
    size_t bytes = (size_t)*width * (size_t)*height * 4;
    uint8_t *copy = malloc(bytes);
    if (!copy) {
        WebPFree(decoded);
        return -2;
    }
    memcpy(copy, decoded, bytes);
    WebPFree(decoded);
    *pixels = copy;
    return 0;
}
