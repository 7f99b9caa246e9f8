#ifndef SHOPIFY_SYNC_FUZZ_DRIVER_H
#define SHOPIFY_SYNC_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (https://llvm.org/docs/LibFuzzer.html#using-libfuzzer-as-a-library): parses libFuzzer's
/// flags from argv and calls `callback` once per input. Linked in only by `-sanitize=fuzzer` (`make fuzz`); the
/// replaying build never calls it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
