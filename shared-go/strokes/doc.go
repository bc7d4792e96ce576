// Package strokes is the Go side of the one definition of strokes and tiles (docs/tiles.md): decoding
// and encoding the quantized delta + zigzag points, the validation limits every entry point applies,
// and which tiles of the pyramid a stroke touches. Its limits, and the defaults of the size bounds the
// services share, are generated from proto/limits.json (limits_gen.go) with those of the Rust renderer,
// the gateway and the browser.
package strokes
