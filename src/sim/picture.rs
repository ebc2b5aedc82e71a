//! The simulator's thumbnails: a small picture per asset, drawn from its checksum so that every asset
//! looks different (a background colour, a square of a second colour at a place of its own), and
//! encoded as Immich 3.1 serves them: WebP for `size=thumbnail` (and by default), JPEG for
//! `preview`, `fullsize` and `original` (the simulator has no original files; a JPEG stands in, never
//! a PNG). The encoders are in `webp` and `jpeg`; the bytes are the same on every run.

use super::{jpeg, webp};

/// The sizes `GET /api/assets/{id}/thumbnail` accepts (`AssetMediaSize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Thumbnail,
    Preview,
    Fullsize,
    Original,
}

impl Size {
    /// The names, as the validation error lists them.
    pub const NAMES: [&'static str; 4] = ["fullsize", "original", "preview", "thumbnail"];

    pub fn parse(s: &str) -> Option<Size> {
        Some(match s {
            "thumbnail" => Size::Thumbnail,
            "preview" => Size::Preview,
            "fullsize" => Size::Fullsize,
            "original" => Size::Original,
            _ => return None,
        })
    }

    /// Pixels on a side.
    pub fn pixels(self) -> u32 {
        match self {
            Size::Thumbnail => 64,
            Size::Preview => 128,
            Size::Fullsize | Size::Original => 256,
        }
    }
}

/// The picture of an asset with this checksum at this size: its content type and bytes.
pub fn thumbnail(checksum: &[u8], size: Size) -> (&'static str, Vec<u8>) {
    let byte = |i: usize| checksum.get(i).copied().unwrap_or(0);
    // Colours kept away from black and white, so that each one shows on a light page.
    let colour = |i: usize| -> [u8; 3] { [0, 1, 2].map(|k| 40 + byte(i + k) % 180) };
    let (background, square) = (colour(0), colour(3));
    // Laid out on a 64-pixel grid, then scaled.
    let scale = size.pixels() / 64;
    let side = 16 + u32::from(byte(6)) % 16;
    let left = u32::from(byte(7)) % (64 - side);
    let top = u32::from(byte(8)) % (64 - side);
    let pixel = |x: u32, y: u32| {
        let (x, y) = (x / scale, y / scale);
        let inside = (left..left + side).contains(&x) && (top..top + side).contains(&y);
        if inside { square } else { background }
    };
    let n = size.pixels();
    match size {
        Size::Thumbnail => (
            "image/webp",
            webp::encode_rgb(n, n, pixel).expect("two colours fit the WebP encoder"),
        ),
        Size::Preview | Size::Fullsize | Size::Original => {
            ("image/jpeg", jpeg::encode_rgb(n, n, pixel))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_are_webp_and_larger_sizes_jpeg() {
        let (kind, webp) = thumbnail(&[1; 20], Size::Thumbnail);
        assert_eq!(kind, "image/webp");
        assert!(webp.starts_with(b"RIFF") && &webp[8..16] == b"WEBPVP8L");
        let header = u32::from_le_bytes(webp[21..25].try_into().unwrap());
        assert_eq!(
            ((header & 0x3fff) + 1, ((header >> 14) & 0x3fff) + 1),
            (64, 64)
        );
        assert_ne!(webp, thumbnail(&[2; 20], Size::Thumbnail).1);
        assert_eq!(
            webp,
            thumbnail(&[1; 20], Size::Thumbnail).1,
            "the same asset, the same picture"
        );

        for (size, side) in [
            (Size::Preview, 128u16),
            (Size::Fullsize, 256),
            (Size::Original, 256),
        ] {
            let (kind, jpeg) = thumbnail(&[1; 20], size);
            assert_eq!(kind, "image/jpeg");
            assert!(jpeg.starts_with(&[0xff, 0xd8]) && jpeg.ends_with(&[0xff, 0xd9]));
            let sof = jpeg.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
            let h = u16::from_be_bytes([jpeg[sof + 5], jpeg[sof + 6]]);
            let w = u16::from_be_bytes([jpeg[sof + 7], jpeg[sof + 8]]);
            assert_eq!((w, h), (side, side), "{size:?}");
        }
    }
}
