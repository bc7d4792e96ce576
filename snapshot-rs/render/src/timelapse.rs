//! A region drawn frame by frame as strokes appear and disappear: the pictures of a timelapse video.

use tiny_skia::Pixmap;

use crate::error::RenderError;
use crate::geometry::Mapping;
use crate::paint::Painter;
use crate::render::{Region, decode_all, new_pixmap, region_mapping};
use crate::stroke::{DecodedStroke, Stroke};
use crate::yuv::I420;

/// Which strokes one frame shows and hides, by index into the timelapse's strokes. Shows apply
/// before hides, so a stroke in both is hidden.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimelapseFrame {
    /// Strokes made visible from this frame on.
    pub show: Vec<u32>,
    /// Strokes made invisible from this frame on.
    pub hide: Vec<u32>,
}

/// The frames of a region, each an I420 picture of the visible strokes over an opaque background.
///
/// It keeps one transparent layer with the visible strokes: a frame that only shows strokes drawn
/// after every visible one draws them on top; any other change (a hide, or a show of an earlier
/// stroke) redraws the layer from the visible strokes in order. Only the rows a frame changed are
/// converted to I420 again.
pub struct Timelapse {
    map: Mapping,
    strokes: Vec<DecodedStroke>,
    frames: Vec<TimelapseFrame>,
    next: usize,
    visible: Vec<bool>,
    /// The highest visible index, if any stroke is visible.
    top: Option<usize>,
    layer: Pixmap,
    painter: Painter,
    background: [u8; 3],
    picture: I420,
    /// Strokes drawn so far, counting each redraw.
    strokes_drawn: u64,
}

impl Timelapse {
    /// Validates the region (as [`render_region`](crate::render_region) does), every stroke and every
    /// index of every frame. The output size must be even. The region's background is the colour
    /// under the strokes; its alpha is ignored (video is opaque) and 0 reads as white.
    pub fn new(
        region: &Region,
        strokes: &[Stroke],
        frames: Vec<TimelapseFrame>,
    ) -> Result<Timelapse, RenderError> {
        let map = region_mapping(region)?;
        if !region.width_px.is_multiple_of(2) || !region.height_px.is_multiple_of(2) {
            return Err(RenderError::RegionSize {
                width: region.width_px,
                height: region.height_px,
            });
        }
        for (frame, f) in frames.iter().enumerate() {
            if let Some(&index) = f
                .show
                .iter()
                .chain(&f.hide)
                .find(|&&i| i as usize >= strokes.len())
            {
                return Err(RenderError::FrameStroke {
                    frame,
                    index,
                    strokes: strokes.len(),
                });
            }
        }
        let strokes = decode_all(strokes)?;
        let layer = new_pixmap(region.width_px, region.height_px)?;
        let background = match region.background_rgba {
            0 => [255; 3],
            rgba => {
                let [r, g, b, _] = rgba.to_be_bytes();
                [r, g, b]
            }
        };
        let mut picture = I420::new(region.width_px, region.height_px);
        picture.convert_rows(layer.data(), background, 0..region.height_px as usize);
        Ok(Timelapse {
            map,
            visible: vec![false; strokes.len()],
            strokes,
            frames,
            next: 0,
            top: None,
            painter: Painter::new(&layer),
            layer,
            background,
            picture,
            strokes_drawn: 0,
        })
    }

    /// How many frames there are.
    pub fn frames(&self) -> usize {
        self.frames.len()
    }

    /// How many strokes may be drawn.
    pub fn strokes(&self) -> usize {
        self.strokes.len()
    }

    /// Strokes drawn so far, counting each redraw of the layer (for benchmarks).
    pub fn strokes_drawn(&self) -> u64 {
        self.strokes_drawn
    }

    /// Applies the next frame's changes and returns its picture; `None` after the last frame.
    pub fn next_frame(&mut self) -> Option<&I420> {
        let frame = std::mem::take(self.frames.get_mut(self.next)?);
        self.next += 1;
        let mut shown: Vec<usize> = frame
            .show
            .iter()
            .map(|&i| i as usize)
            .filter(|&i| !self.visible[i])
            .collect();
        shown.sort_unstable();
        shown.dedup();
        for &i in &shown {
            self.visible[i] = true;
        }
        let mut hidden = false;
        for &i in &frame.hide {
            hidden |= std::mem::replace(&mut self.visible[i as usize], false);
        }
        let on_top = match (self.top, shown.first()) {
            (Some(top), Some(&first)) => first > top,
            _ => true,
        };
        if hidden || !on_top {
            self.redraw();
        } else {
            for &i in &shown {
                self.painter
                    .draw(&mut self.layer, &self.map, &self.strokes[i]);
            }
            self.strokes_drawn += shown.len() as u64;
            if let Some(&last) = shown.last() {
                self.top = Some(last);
            }
        }
        let rows = self.painter.take_dirty_rows();
        if !rows.is_empty() {
            self.picture
                .convert_rows(self.layer.data(), self.background, rows);
        }
        Some(&self.picture)
    }

    /// Clears the layer and draws every visible stroke in order.
    fn redraw(&mut self) {
        self.layer.fill(tiny_skia::Color::TRANSPARENT);
        self.top = None;
        for (i, stroke) in self.strokes.iter().enumerate() {
            if self.visible[i] {
                self.painter.draw(&mut self.layer, &self.map, stroke);
                self.strokes_drawn += 1;
                self.top = Some(i);
            }
        }
        // Every row may have changed, whether or not a stroke is left to draw there.
        self.painter.take_dirty_rows();
        self.picture.convert_rows(
            self.layer.data(),
            self.background,
            0..self.layer.height() as usize,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode_stroke;
    use crate::render::render_region;
    use crate::stroke::{Point, Tool};
    use crate::yuv::rgb_of_yuv;

    fn line(tool: Tool, rgba: u32, y: i32) -> Stroke {
        encode_stroke(
            tool,
            rgba,
            600,
            &[Point::new(1_000, y * 100), Point::new(9_000, y * 100)],
            &[],
        )
        .unwrap()
    }

    fn region() -> Region {
        Region {
            min_x: 0,
            min_y: 0,
            max_x: 10_000,
            max_y: 10_000,
            width_px: 100,
            height_px: 100,
            background_rgba: 0,
        }
    }

    fn frame(show: &[u32], hide: &[u32]) -> TimelapseFrame {
        TimelapseFrame {
            show: show.to_vec(),
            hide: hide.to_vec(),
        }
    }

    /// The picture of what render_region draws for `strokes` over white, as I420.
    fn expected(strokes: &[Stroke]) -> I420 {
        let png = render_region(
            &Region {
                background_rgba: 0xffffffff,
                ..region()
            },
            strokes,
        )
        .unwrap();
        let decoded = crate::image::decode_base(&png, 100).unwrap();
        let mut pic = I420::new(100, 100);
        pic.convert_rows(decoded.data(), [255; 3], 0..100);
        pic
    }

    /// Every sample within 2 steps (the opaque PNG rounds the compositing once more).
    fn assert_close(got: &I420, want: &I420, what: &str) {
        for (plane, (g, w)) in got.planes().into_iter().zip(want.planes()).enumerate() {
            if let Some(i) = (0..g.len()).find(|&i| g[i].abs_diff(w[i]) > 2) {
                panic!(
                    "{what}: plane {plane} sample {i} is {}, want {}",
                    g[i], w[i]
                );
            }
        }
    }

    #[test]
    fn each_frame_shows_the_visible_strokes_in_order_whether_drawn_on_top_or_redrawn() {
        let strokes = vec![
            line(Tool::Pen, 0xff0000ff, 20),
            line(Tool::Pen, 0x0000ffff, 40),
            line(Tool::PixelEraser, 0, 40),
            line(Tool::Highlighter, 0x00ff0080, 60),
        ];
        let frames = vec![
            frame(&[], &[]),
            frame(&[0], &[]),
            frame(&[1, 3], &[]),
            frame(&[2], &[]),
            frame(&[], &[0]),
            frame(&[0], &[2]),
            frame(&[1, 2, 2], &[3]),
            frame(&[3], &[3]),
        ];
        let visible: [&[usize]; 8] = [
            &[],
            &[0],
            &[0, 1, 3],
            &[0, 1, 2, 3],
            &[1, 2, 3],
            &[0, 1, 3],
            &[0, 1, 2],
            &[0, 1, 2],
        ];
        let mut t = Timelapse::new(&region(), &strokes, frames).unwrap();
        assert_eq!((t.frames(), t.strokes()), (8, 4));
        for (k, vis) in visible.iter().enumerate() {
            let want: Vec<Stroke> = vis.iter().map(|&i| strokes[i].clone()).collect();
            let got = t.next_frame().unwrap().clone();
            assert_close(
                &got,
                &expected(&want),
                &format!("frame {k} showing {vis:?}"),
            );
        }
        assert!(t.next_frame().is_none());
        // Frames 1 and 2 drew on top (1 + 2); 3 to 7 redrew (4 + 3 + 3 + 3 + 3: frame 7's hide of
        // the stroke it shows counts as a change).
        assert_eq!(t.strokes_drawn(), 1 + 2 + 4 + 3 + 3 + 3 + 3);
    }

    #[test]
    fn the_background_shows_under_the_strokes_and_its_alpha_is_ignored() {
        let r = Region {
            background_rgba: 0x20408000,
            ..region()
        };
        let mut t = Timelapse::new(
            &r,
            &[line(Tool::Pen, 0x000000ff, 50)],
            vec![frame(&[0], &[])],
        )
        .unwrap();
        let pic = t.next_frame().unwrap();
        let [y, u, v] = pic.planes();
        let bg = rgb_of_yuv(y[0], u[0], v[0]);
        for (c, want) in [0x20, 0x40, 0x80].into_iter().enumerate() {
            assert!((i32::from(bg[c]) - want).abs() <= 3, "{bg:?}");
        }
        let ink = rgb_of_yuv(y[50 * 100 + 50], u[25 * 50 + 25], v[25 * 50 + 25]);
        assert!(ink.iter().all(|&c| c <= 3), "black line, got {ink:?}");
    }

    #[test]
    fn bad_indices_sizes_and_strokes_are_refused_up_front() {
        let s = vec![line(Tool::Pen, 0x000000ff, 50)];
        let e = Timelapse::new(&region(), &s, vec![frame(&[0], &[]), frame(&[], &[1])])
            .err()
            .unwrap();
        assert_eq!(
            e,
            RenderError::FrameStroke {
                frame: 1,
                index: 1,
                strokes: 1
            }
        );
        assert_eq!(
            e.to_string(),
            "frame 1 names stroke 1 but there are 1 strokes"
        );
        let odd = Region {
            width_px: 101,
            ..region()
        };
        assert!(matches!(
            Timelapse::new(&odd, &s, vec![]),
            Err(RenderError::RegionSize { width: 101, .. })
        ));
        let empty = Region {
            max_x: 0,
            ..region()
        };
        assert!(matches!(
            Timelapse::new(&empty, &s, vec![]),
            Err(RenderError::RegionBounds { .. })
        ));
        let bad = vec![Stroke {
            tool: 0,
            ..s[0].clone()
        }];
        assert!(matches!(
            Timelapse::new(&region(), &bad, vec![]),
            Err(RenderError::Stroke { index: 0, .. })
        ));
    }
}
