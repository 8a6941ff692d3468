/*
 * Module numbering and initialization.
 */

#include <wd_core.h>

wd_uint_t wd_max_module;

wd_int_t
wd_preinit_modules(void)
{
    wd_uint_t i;

    for (i = 0; wd_modules[i]; i++) {
        wd_modules[i]->index = i;
        wd_modules[i]->name = wd_module_names[i];
    }

    wd_max_module = i;

    return WD_OK;
}

wd_uint_t
wd_count_modules(wd_cycle_t *cycle, wd_uint_t type)
{
    wd_uint_t i, n;

    n = 0;

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->type != type) {
            continue;
        }

        cycle->modules[i]->ctx_index = n++;
    }

    return n;
}

wd_int_t
wd_init_modules(wd_cycle_t *cycle)
{
    wd_uint_t i;

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->init_module
            && cycle->modules[i]->init_module(cycle) != WD_OK)
        {
            return WD_ERROR;
        }
    }

    return WD_OK;
}
