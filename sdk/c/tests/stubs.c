/* Stand-ins for what exists only inside a component, so that the generated bindings link
 * natively for the unit tests: the host's imports (never called by the tests: reaching one
 * aborts), the script export a real script defines with HS_EXPORT_DIALOGUE, and the
 * component type object build.sh links in. */
#include <stdint.h>
#include <stdlib.h>

#include "huashu.h"

void __wasm_import_huashu_dialogue_log_write(int32_t level, uint8_t *ptr, size_t len) {
    (void)level, (void)ptr, (void)len;
    abort();
}

void __wasm_import_huashu_dialogue_kv_get(uint8_t *key, size_t len, uint8_t *ret) {
    (void)key, (void)len, (void)ret;
    abort();
}

void __wasm_import_huashu_dialogue_kv_set(uint8_t *key, size_t key_len, uint8_t *value,
                                          size_t value_len, uint8_t *ret) {
    (void)key, (void)key_len, (void)value, (void)value_len, (void)ret;
    abort();
}

void __wasm_import_huashu_dialogue_kv_delete(uint8_t *key, size_t len, uint8_t *ret) {
    (void)key, (void)len, (void)ret;
    abort();
}

static const hs_dialogue_t nothing = {0};
HS_EXPORT_DIALOGUE(nothing)

void __component_type_object_force_link_dialogue(void) {}
