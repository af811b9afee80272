// Tesseract's C API (Debian: libtesseract-dev). Only Privacy's OCR wrapper includes it.
#include <tesseract/capi.h>
