/*
 * report_int.h - the report's embedded files (generated into
 * $(BUILD)/gen/report_assets.c by src/report/embed.sh). Not public.
 */
#ifndef RS_REPORT_INT_H
#define RS_REPORT_INT_H

#include <stddef.h>

extern const unsigned char rs_asset_report_html[];
extern const size_t rs_asset_report_html_len;
extern const unsigned char rs_asset_report_css[];
extern const size_t rs_asset_report_css_len;
extern const unsigned char rs_asset_report_js[];
extern const size_t rs_asset_report_js_len;

#endif
