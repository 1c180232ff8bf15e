#!/usr/bin/env bash
# Rebuilds stickers.json, the playground's sample library: the stickers of
# examples/stickers.json with their images stored in the file (128x128 PNG,
# base64), so the playground needs no internet. The images are Twemoji
# (CC-BY 4.0, see ATTRIBUTION.md), taken from the @twemoji/svg npm package.
#
# Needs npm, node, rsvg-convert (Debian: librsvg2-bin) and optipng.
# Run from anywhere: internal/playground/sample/make-sample.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version=15.0.0
(cd "$work" && npm pack --silent "@twemoji/svg@$version" >/dev/null && tar xzf twemoji-svg-$version.tgz)
mkdir "$work/png"
# The code point is the file name of each image_url in examples/stickers.json.
node -e '
const rows = require(process.argv[1]);
for (const r of rows) console.log(r.image_url.split("/").pop().replace(/\.png$/, ""));
' "$root/examples/stickers.json" | while read -r cp; do
  rsvg-convert -w 128 -h 128 "$work/package/$cp.svg" -o "$work/png/$cp.png"
done
optipng -quiet -o5 -strip all "$work"/png/*.png
node -e '
const fs = require("fs");
const [examples, pngs, out] = process.argv.slice(1);
const rows = require(examples).map(r => {
  const cp = r.image_url.split("/").pop().replace(/\.png$/, "");
  return {name: r.name, tags: r.tags, image_url: "", image_content_type: "image/png",
          image_data: fs.readFileSync(pngs + "/" + cp + ".png").toString("base64")};
});
fs.writeFileSync(out, JSON.stringify(rows, null, 1) + "\n");
' "$root/examples/stickers.json" "$work/png" "$here/stickers.json"
echo "wrote $here/stickers.json ($(wc -c < "$here/stickers.json") bytes)"
