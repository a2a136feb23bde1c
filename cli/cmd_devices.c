/* cmd_devices.c : `lmc devices`, one row per device with what matters for exact coding.
 * --device / --devices restrict the list to a selection (and so show how a selector resolves);
 * --check runs the exactness probe (runtime/device/probe.c) on each listed device. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void print_devices_help(void) {
    printf("Usage: lmc devices [--json] [--check] [--device SEL | --devices LIST]\n\n"
           "List every OpenCL device and cpu-ref (the plain-C reference). '*' marks the default.\n\n"
           "Options:\n"
           "  --json          machine-readable output: a JSON list of objects on stdout\n"
           "  --check         run the exactness probe on each device: a fixed-order float dot\n"
           "                  product must match cpu-ref bit for bit ('exact'), and 'fuses' shows\n"
           "                  whether the device fuses multiply-adds when contraction is allowed\n"
           "  --device SEL    list only the device SEL selects\n"
           "  --devices LIST  list only the devices of a comma list ('all': all but simulators)\n"
           "  -h, --help      this help\n\n"
           "Selectors: 'cpu-ref'; 'P.D' (platform.device index as listed); or a case-insensitive\n"
           "substring of \"platform device-name\" such as 'pthread', 'basic', 'oclgrind'.\n"
           "Default device: $LMC_DEVICE if set, else the first GPU, else PoCL's pthread device,\n"
           "else another PoCL device, else cpu-ref. Simulators (oclgrind) only when named.\n");
}

static const char *yes_no(int v) { return v ? "yes" : "no"; }

static void format_bytes(uint64_t bytes, char *out, size_t cap) {
    if (bytes == 0)
        snprintf(out, cap, "-");
    else if (bytes >= (1ull << 30))
        snprintf(out, cap, "%.1f GiB", (double)bytes / (double)(1ull << 30));
    else
        snprintf(out, cap, "%.0f MiB", (double)bytes / (double)(1ull << 20));
}

typedef struct {
    int ran;
    int exact;
    int fuses;
    lmc_status status;
    char error[512];
} probe_result;

static void run_probe(const lmc_device_info *info, probe_result *result) {
    memset(result, 0, sizeof *result);
    lmc_device *device = NULL;
    result->status = lmc_device_create(info, &device);
    if (result->status == LMC_OK)
        result->status = lmc_device_check_exact(device, &result->exact, &result->fuses);
    if (result->status != LMC_OK) snprintf(result->error, sizeof result->error, "%s", lmc_last_error());
    result->ran = 1;
    lmc_device_destroy(device);
}

static void print_json(const lmc_device_info *list, const size_t *shown, size_t n_shown,
                       size_t default_index, const probe_result *probes) {
    printf("[");
    for (size_t k = 0; k < n_shown; k++) {
        const lmc_device_info *d = &list[shown[k]];
        printf("%s\n  {\"selector\": ", k ? "," : "");
        cli_json_string(stdout, d->selector);
        printf(", \"platform\": ");
        cli_json_string(stdout, d->platform);
        printf(", \"name\": ");
        cli_json_string(stdout, d->name);
        printf(", \"vendor\": ");
        cli_json_string(stdout, d->vendor);
        printf(", \"type\": ");
        cli_json_string(stdout, d->type);
        printf(", \"driver_version\": ");
        cli_json_string(stdout, d->driver_version);
        printf(", \"opencl_c_version\": ");
        cli_json_string(stdout, d->opencl_c_version);
        printf(", \"compute_units\": %u, \"global_mem_bytes\": %" PRIu64
               ", \"max_alloc_bytes\": %" PRIu64 ", \"max_work_group_size\": %zu",
               d->compute_units, d->global_mem_bytes, d->max_alloc_bytes, d->max_work_group_size);
        printf(", \"fp32_denormals\": %s, \"fp32_fma\": %s, \"fp32_correctly_rounded_div_sqrt\": %s",
               d->fp32_denormals ? "true" : "false", d->fp32_fma ? "true" : "false",
               d->fp32_correctly_rounded_div_sqrt ? "true" : "false");
        printf(", \"simulator\": %s, \"default\": %s", d->is_simulator ? "true" : "false",
               shown[k] == default_index ? "true" : "false");
        if (probes && probes[k].ran) {
            if (probes[k].status == LMC_OK)
                printf(", \"check\": {\"exact\": %s, \"fuses_when_contracted\": %s}",
                       probes[k].exact ? "true" : "false", probes[k].fuses ? "true" : "false");
            else {
                printf(", \"check\": {\"error\": ");
                cli_json_string(stdout, probes[k].error);
                printf("}");
            }
        }
        printf("}");
    }
    printf("\n]\n");
}

static void print_table(const lmc_device_info *list, const size_t *shown, size_t n_shown,
                        size_t default_index, const probe_result *probes) {
    printf("  %-8s %-28s %-34s %-22s %-11s %3s %9s %-6s %-3s %-7s %-20s %s", "SELECTOR", "PLATFORM",
           "DEVICE", "VENDOR", "TYPE", "CU", "MEMORY", "DENORM", "FMA", "CR-DIV", "OPENCL C", "DRIVER");
    if (probes) printf("  %-5s %s", "EXACT", "FUSES");
    printf("\n");
    for (size_t k = 0; k < n_shown; k++) {
        const lmc_device_info *d = &list[shown[k]];
        char memory[32];
        format_bytes(d->global_mem_bytes, memory, sizeof memory);
        printf("%c %-8s %-28.28s %-34.34s %-22.22s %-11s %3u %9s %-6s %-3s %-7s %-20.20s %s",
               shown[k] == default_index ? '*' : ' ', d->selector, d->platform, d->name, d->vendor,
               d->is_simulator ? "simulator" : d->type, d->compute_units, memory,
               yes_no(d->fp32_denormals), yes_no(d->fp32_fma),
               yes_no(d->fp32_correctly_rounded_div_sqrt), d->opencl_c_version, d->driver_version);
        if (probes) {
            if (probes[k].status == LMC_OK)
                printf("  %-5s %s", yes_no(probes[k].exact), yes_no(probes[k].fuses));
            else
                printf("  error: %s", lmc_status_str(probes[k].status));
        }
        printf("\n");
    }
    if (probes)
        for (size_t k = 0; k < n_shown; k++)
            if (probes[k].status != LMC_OK)
                fprintf(stderr, "lmc devices: %s: %s\n", list[shown[k]].selector, probes[k].error);
}

int cli_cmd_devices(int argc, char **argv) {
    enum { OPT_JSON = 1000, OPT_CHECK, OPT_DEVICE, OPT_DEVICES };
    static const struct option options[] = {
        {"json", no_argument, NULL, OPT_JSON},       {"check", no_argument, NULL, OPT_CHECK},
        {"device", required_argument, NULL, OPT_DEVICE}, {"devices", required_argument, NULL, OPT_DEVICES},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
    int json = 0, check = 0;
    const char *device_sel = NULL, *devices_sel = NULL;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: json = 1; break;
        case OPT_CHECK: check = 1; break;
        case OPT_DEVICE: device_sel = optarg; break;
        case OPT_DEVICES: devices_sel = optarg; break;
        case 'h': print_devices_help(); return CLI_EXIT_OK;
        case ':': return cli_usage_error("devices", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("devices", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("devices", "unexpected argument '%s'", argv[optind]);
    if (device_sel && devices_sel)
        return cli_usage_error("devices", "give --device or --devices, not both");

    lmc_device_info *list = NULL;
    size_t count = 0;
    lmc_status status = lmc_devices_list(&list, &count);
    if (status != LMC_OK) return cli_fail("devices", status);

    int exit_code = CLI_EXIT_OK;
    size_t *shown = calloc(count, sizeof *shown);
    probe_result *probes = check ? calloc(count, sizeof *probes) : NULL;
    size_t n_shown = 0, default_index = (size_t)-1;
    if (!shown || (check && !probes)) {
        exit_code = cli_fail("devices", lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "out of memory"));
        goto done;
    }
    status = lmc_devices_default(list, count, &default_index);
    if (status != LMC_OK) {
        /* A bad $LMC_DEVICE must not hide the list that helps fix it. */
        fprintf(stderr, "lmc devices: warning: %s\n", lmc_last_error());
        default_index = (size_t)-1;
    }
    if (device_sel) {
        status = lmc_devices_select(list, count, device_sel, &shown[0]);
        n_shown = status == LMC_OK;
    } else if (devices_sel) {
        status = lmc_devices_select_many(list, count, devices_sel, shown, count, &n_shown);
    } else {
        for (size_t i = 0; i < count; i++) shown[n_shown++] = i;
        status = LMC_OK;
    }
    if (status != LMC_OK) {
        exit_code = cli_fail("devices", status);
        goto done;
    }
    if (check) {
        /* oclgrind takes a few seconds: say what is running, on a terminal only. */
        int progress = isatty(STDERR_FILENO);
        for (size_t k = 0; k < n_shown; k++) {
            if (progress) fprintf(stderr, "\rchecking %s ...", list[shown[k]].selector);
            run_probe(&list[shown[k]], &probes[k]);
            if (probes[k].status != LMC_OK || !probes[k].exact) exit_code = CLI_EXIT_FAILURE;
        }
        if (progress) fprintf(stderr, "\r\033[K");
    }
    if (json)
        print_json(list, shown, n_shown, default_index, probes);
    else
        print_table(list, shown, n_shown, default_index, probes);
done:
    free(probes);
    free(shown);
    lmc_devices_free(list);
    return exit_code;
}
