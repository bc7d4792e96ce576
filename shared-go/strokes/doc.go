// Package strokes is the Go side of the one definition of strokes and tiles (docs/tiles.md): decoding
// and encoding the quantized delta + zigzag points, the validation limits every entry point applies,
// and which tiles of the pyramid a stroke touches.
package strokes
