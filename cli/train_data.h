/* train_data.h : the bytes `lmc train` learns from, named by --data / --eval-data arguments.
 * A plain PATH (a file, or the regular files of a folder in sorted order) is its bytes as they
 * are; text:PATH, image:PATH and audio:PATH are the byte streams `lmc eval` codes, read by the same
 * loader (lmc_dataset_open, include/lmc/data.h): whole 2048-byte chunks, file by file (images:
 * gray 32x64 patches; audio: 16 kHz mono 8-bit). Several arguments concatenate in order.
 * Invariant: when any argument is image: or audio:, every part is a whole number of chunks
 * (plain paths are refused beside them) and the windows start at chunk boundaries (align 2048),
 * so a window is one patch / one chunk, never the seam of two; otherwise align is 1 and sampling
 * is what it always was. Prints its own errors ("lmc train: ..."); cli/ only. */
#ifndef LMC_CLI_TRAIN_DATA_H
#define LMC_CLI_TRAIN_DATA_H

#include <stddef.h>

typedef struct cli_train_data {
    unsigned char *p; /* the concatenated bytes, malloc'd */
    size_t n, cap;
    size_t align; /* 1, or LMC_CHUNK_BYTES: where windows may start (after cli_train_data_finish) */
    int n_plain, n_kind, n_chunked; /* plain paths; KIND: specs; of them image: / audio: */
} cli_train_data;

/* cli_train_data_check() : the n arguments of option `opt` as specs, before anything is read:
 * CLI_EXIT_USAGE (printed) for an unknown KIND:, an empty path, or plain paths beside image: /
 * audio:; 0 otherwise. */
int cli_train_data_check(const char *opt, const char *const *args, size_t n);

/* cli_train_data_add() : append the bytes `arg` names (given to option `opt`, e.g. "--data").
 * @return 0; CLI_EXIT_USAGE for a malformed spec (unknown KIND:, empty path, random:); or
 * CLI_EXIT_FAILURE when a file cannot be read or holds no whole chunk; a message was printed. */
int cli_train_data_add(cli_train_data *d, const char *opt, const char *arg);

/* cli_train_data_finish() : after the last add: sets d->align; CLI_EXIT_USAGE (printed) when
 * plain paths are mixed with image:/audio: specs. @return 0 otherwise. */
int cli_train_data_finish(cli_train_data *d, const char *opt);

/* cli_train_data_free() : free the bytes; the struct may be reused after. */
void cli_train_data_free(cli_train_data *d);

#endif /* LMC_CLI_TRAIN_DATA_H */
