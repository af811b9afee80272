#include "ocr.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <tesseract/capi.h>

// The slice of Tesseract's C API Understudy uses, resolved from the library at run time.
typedef struct {
    void *library;
    TessBaseAPI *(*create)(void);
    void (*delete_api)(TessBaseAPI *);
    int (*init3)(TessBaseAPI *, const char *, const char *);
    void (*set_psm)(TessBaseAPI *, TessPageSegMode);
    BOOL (*set_variable)(TessBaseAPI *, const char *, const char *);
    void (*set_image)(TessBaseAPI *, const unsigned char *, int, int, int, int);
    int (*recognize)(TessBaseAPI *, ETEXT_DESC *);
    TessResultIterator *(*iterator)(TessBaseAPI *);
    void (*clear)(TessBaseAPI *);
    void (*end)(TessBaseAPI *);
    void (*iterator_delete)(TessResultIterator *);
    TessPageIterator *(*page_iterator)(TessResultIterator *);
    char *(*utf8_text)(const TessResultIterator *, TessPageIteratorLevel);
    void (*delete_text)(const char *);
    BOOL (*bounding_box)(const TessPageIterator *, TessPageIteratorLevel, int *, int *, int *, int *);
    float (*confidence)(const TessResultIterator *, TessPageIteratorLevel);
    BOOL (*at_beginning)(const TessPageIterator *, TessPageIteratorLevel);
    BOOL (*next)(TessResultIterator *, TessPageIteratorLevel);
} tess_api;

struct ocr_engine {
    tess_api api;
    TessBaseAPI *handle;
};

#define RESOLVE(field, name) \
    if (!(api->field = dlsym(api->library, name))) { *error = "libtesseract lacks " name; return 0; }

static int load(tess_api *api, const char **error) {
    api->library = dlopen("libtesseract.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!api->library) api->library = dlopen("libtesseract.so", RTLD_NOW | RTLD_LOCAL);
    if (!api->library) { *error = "libtesseract is not installed (apt install tesseract-ocr)"; return 0; }
    RESOLVE(create, "TessBaseAPICreate")
    RESOLVE(delete_api, "TessBaseAPIDelete")
    RESOLVE(init3, "TessBaseAPIInit3")
    RESOLVE(set_psm, "TessBaseAPISetPageSegMode")
    RESOLVE(set_variable, "TessBaseAPISetVariable")
    RESOLVE(set_image, "TessBaseAPISetImage")
    RESOLVE(recognize, "TessBaseAPIRecognize")
    RESOLVE(iterator, "TessBaseAPIGetIterator")
    RESOLVE(clear, "TessBaseAPIClear")
    RESOLVE(end, "TessBaseAPIEnd")
    RESOLVE(iterator_delete, "TessResultIteratorDelete")
    RESOLVE(page_iterator, "TessResultIteratorGetPageIterator")
    RESOLVE(utf8_text, "TessResultIteratorGetUTF8Text")
    RESOLVE(delete_text, "TessDeleteText")
    RESOLVE(bounding_box, "TessPageIteratorBoundingBox")
    RESOLVE(confidence, "TessResultIteratorConfidence")
    RESOLVE(at_beginning, "TessPageIteratorIsAtBeginningOf")
    RESOLVE(next, "TessResultIteratorNext")
    return 1;
}

ocr_engine *ocr_create(const char *language, int psm, const char **error) {
    ocr_engine *engine = calloc(1, sizeof *engine);
    if (!engine) { *error = "out of memory"; return NULL; }
    if (!load(&engine->api, error)) {
        if (engine->api.library) dlclose(engine->api.library);
        free(engine);
        return NULL;
    }
    engine->handle = engine->api.create();
    if (!engine->handle || engine->api.init3(engine->handle, NULL, language) != 0) {
        *error = "no language data (apt install tesseract-ocr-eng)";
        if (engine->handle) engine->api.delete_api(engine->handle);
        dlclose(engine->api.library);
        free(engine);
        return NULL;
    }
    engine->api.set_psm(engine->handle, (TessPageSegMode)psm);
    engine->api.set_variable(engine->handle, "user_defined_dpi", "300");
    return engine;
}

void ocr_set_page_segmentation(ocr_engine *engine, int psm) {
    engine->api.set_psm(engine->handle, (TessPageSegMode)psm);
}

int ocr_read(ocr_engine *engine, const unsigned char *grey, int width, int height, ocr_word **words) {
    tess_api *api = &engine->api;
    *words = NULL;
    api->set_image(engine->handle, grey, width, height, 1, width);
    if (api->recognize(engine->handle, NULL) != 0) return -1;
    TessResultIterator *it = api->iterator(engine->handle);
    if (!it) { api->clear(engine->handle); return 0; }
    TessPageIterator *page = api->page_iterator(it);
    int count = 0, capacity = 0;
    do {
        char *text = api->utf8_text(it, RIL_WORD);
        if (!text) continue;
        int left, top, right, bottom;
        if (!api->bounding_box(page, RIL_WORD, &left, &top, &right, &bottom)) { api->delete_text(text); continue; }
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            ocr_word *grown = realloc(*words, (size_t)capacity * sizeof **words);
            if (!grown) { api->delete_text(text); break; }
            *words = grown;
        }
        ocr_word *word = &(*words)[count++];
        word->text = strdup(text);
        api->delete_text(text);
        word->left = left; word->top = top; word->right = right; word->bottom = bottom;
        word->confidence = api->confidence(it, RIL_WORD);
        word->starts_line = api->at_beginning(page, RIL_TEXTLINE) ? 1 : 0;
    } while (api->next(it, RIL_WORD));
    api->iterator_delete(it);
    api->clear(engine->handle);
    return count;
}

void ocr_free_words(ocr_word *words, int count) {
    for (int i = 0; i < count; i++) free(words[i].text);
    free(words);
}

void ocr_destroy(ocr_engine *engine) {
    if (!engine) return;
    engine->api.end(engine->handle);
    engine->api.delete_api(engine->handle);
    dlclose(engine->api.library);
    free(engine);
}
