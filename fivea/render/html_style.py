"""The HTML report's stylesheet: inline CSS for the screen and an A4 print layout.

No fonts, images or other files are referenced, so the report opens without network access.
"""

CSS = """
:root{--ink:#1f2933;--muted:#5f6b7a;--line:#e3e7ec;--soft:#f6f8fa;--accent:#1f5f99;--ok:#2e7d32;
--ok-bg:#e8f5e9;--watch:#a86b00;--watch-bg:#fff4dc;--critical:#c62828;--critical-bg:#fdecea;
--grey:#5f6b7a;--grey-bg:#eef1f4}
*{box-sizing:border-box}html{background:#fff}
body{margin:0 auto;max-width:1080px;padding:36px 40px 56px;color:var(--ink);
font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
-webkit-print-color-adjust:exact;print-color-adjust:exact}
h1{font-size:28px;margin:2px 0 14px;letter-spacing:-.015em}
h2{font-size:19px;margin:40px 0 16px;padding-bottom:6px;border-bottom:2px solid var(--ink)}
h3{font-size:12px;margin:0 0 8px;text-transform:uppercase;letter-spacing:.08em;color:var(--muted)}
.eyebrow{font-size:12px;font-weight:600;letter-spacing:.12em;text-transform:uppercase;
color:var(--accent)}
.meta{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:4px 18px;margin:0;
font-size:13px}
.meta dt{color:var(--muted)}.meta dd{margin:0;overflow-wrap:anywhere}
.verdict{margin:26px 0 18px;padding:18px 24px 16px;border-radius:10px;border-left:8px solid}
.verdict .label{font-size:12px;font-weight:700;letter-spacing:.12em;text-transform:uppercase}
.verdict .status{font-size:30px;font-weight:750;line-height:1.15;margin:2px 0 2px}
.verdict .lead{margin:0 0 10px;color:var(--ink)}.verdict ul{margin:0;padding-left:20px}
.verdict li{margin:2px 0}.v-healthy{background:var(--ok-bg);border-color:var(--ok);color:var(--ok)}
.v-needs_attention{background:var(--watch-bg);border-color:var(--watch);color:var(--watch)}
.v-at_risk{background:var(--critical-bg);border-color:var(--critical);color:var(--critical)}
.v-not_judged{background:var(--grey-bg);border-color:var(--grey);color:var(--grey)}
.verdict ul,.verdict .lead{color:var(--ink)}
.cards{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px;margin:16px 0}
.card{border:1px solid var(--line);border-radius:10px;padding:16px 18px;break-inside:avoid}
.big{font-size:30px;font-weight:700;line-height:1.15;font-variant-numeric:tabular-nums}
.big small{font-size:13px;font-weight:500;color:var(--muted);margin-left:8px}
.reading{margin:6px 0 0}.card ul,.card ol{margin:8px 0 0;padding-left:20px}.card li{margin:3px 0}
.badge{display:inline-block;padding:0 8px;border-radius:999px;font-size:12px;font-weight:600;
line-height:19px;white-space:nowrap;background:var(--grey-bg);color:var(--grey);vertical-align:1px}
.g-ok{background:var(--ok-bg);color:var(--ok)}
.g-watch{background:var(--watch-bg);color:var(--watch)}
.g-critical{background:var(--critical-bg);color:var(--critical)}
.finding{margin:10px 0 0;padding:8px 12px;border-left:4px solid var(--watch);
background:var(--soft)}
figure{margin:0 0 30px;break-inside:avoid}
figcaption{font-size:12.5px;color:var(--muted);margin-top:6px;max-width:820px}
svg.chart{width:100%;height:auto;display:block;font-family:inherit}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:4px 36px}
.wide{grid-column:1/-1}.block{margin:0 0 26px;break-inside:avoid}
table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:700;font-size:14px;padding:0 0 6px}
th,td{padding:5px 12px 5px 0;border-bottom:1px solid var(--line);text-align:left;
vertical-align:top}
th:last-child,td:last-child{padding-right:0}
thead th{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);
font-weight:600;border-bottom:1.5px solid var(--ink);white-space:nowrap}
tbody th{font-weight:600;overflow-wrap:anywhere}.num{text-align:right;white-space:nowrap}
tr.sum th,tr.sum td{border-top:1.5px solid var(--ink)}.lag{color:var(--critical);font-weight:600}.lead{color:var(--ok);font-weight:600}
.note{font-size:12.5px;color:var(--muted);margin:6px 0 0}.direction{margin:0 0 16px}
footer{margin-top:40px;font-size:12px;color:var(--muted);border-top:1px solid var(--line);
padding-top:10px}
@page{size:A4;margin:14mm 12mm}
@media print{body{max-width:none;padding:0;font-size:10.5px}section.page{break-before:page}
h1{font-size:22px}h2{margin-top:0;font-size:16px}.meta{font-size:10.5px}.grid{display:block}
.verdict .status{font-size:24px}.big{font-size:22px}.big small{font-size:10.5px}.cards{gap:10px}
table{font-size:10px}caption{font-size:11.5px}th,td{padding:3px 8px 3px 0}thead th{font-size:9px}
figcaption,.note,footer{font-size:9.5px}.badge{font-size:9.5px;line-height:15px}
.verdict,.card,.block,figure{break-inside:avoid}}
"""
