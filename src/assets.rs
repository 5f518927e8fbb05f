//! Files compiled into the binary, shared by the front ends.

/// DejaVu Sans (assets/fonts, licence beside it): the figures' font, and the window's fallback
/// for the characters egui's bundled fonts lack (arrows such as →, ⌊ ⌋, and the combining
/// marks of w̃ and ν̄).
pub const DEJAVU_SANS: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
