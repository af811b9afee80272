// Tesseract OCR for Understudy's Privacy module, loaded with dlopen on first use so the
// recorder, which never reads pixels, does not map Tesseract and its dependencies.
#ifndef UNDERSTUDY_OCR_H
#define UNDERSTUDY_OCR_H

typedef struct ocr_engine ocr_engine;

typedef struct {
    char *text;                       // UTF-8
    int left, top, right, bottom;     // pixels of the image given to ocr_read
    float confidence;
    int starts_line;                  // 1 for the first word of a text line
} ocr_word;

// Starts an engine for `language` with page segmentation mode `psm`. NULL on failure, with a
// reason in *error (a static string).
ocr_engine *ocr_create(const char *language, int psm, const char **error);

// Reads an 8-bit grey image. Returns the number of words, stored in *words (free them with
// ocr_free_words), or -1 when recognition failed.
// Changes how the next images are segmented (Tesseract's page segmentation mode).
void ocr_set_page_segmentation(ocr_engine *engine, int psm);

int ocr_read(ocr_engine *engine, const unsigned char *grey, int width, int height, ocr_word **words);

void ocr_free_words(ocr_word *words, int count);
void ocr_destroy(ocr_engine *engine);

#endif
