//! Runtime dispatch of the step's streaming loops to AVX-512 or AVX2.
//!
//! The default x86-64 target has only SSE2 (4 lanes of f32). The hot loops over neuron and
//! trace arrays are written as plain slice loops that the compiler vectorises; compiling the
//! same body again with AVX2 (8 lanes) or AVX-512 (16 lanes) enabled, chosen at run time, keeps
//! the binary running on CPUs without them. No fused multiply-add is formed (Rust never
//! contracts a multiply and an add), so every version performs the same IEEE operations in the
//! same order and gives bit-identical results.

/// Defines `fn $name(args)` that calls the `#[inline(always)]` function `$body` with the same
/// arguments, compiled for AVX-512 or AVX2 when the CPU supports them, else for the baseline.
macro_rules! avx2_dispatch {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) => $body:path) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
                fn avx512($($arg: $ty),*) {
                    $body($($arg),*)
                }
                #[target_feature(enable = "avx2")]
                fn avx2($($arg: $ty),*) {
                    $body($($arg),*)
                }
                if $crate::sim::simd::use_avx512() {
                    // SAFETY: the CPU supports AVX-512 F, BW and VL (checked by use_avx512).
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2 (checked just above).
                    return unsafe { avx2($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}

/// Whether the AVX-512 code paths run: the CPU has AVX-512 F, BW and VL, and the environment
/// variable `ENGRAM_NO_AVX512` is not set (to compare paths on one machine; results are the
/// same either way).
#[cfg(target_arch = "x86_64")]
pub(crate) fn use_avx512() -> bool {
    static USE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *USE.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::env::var_os("ENGRAM_NO_AVX512").is_none()
    })
}

pub(crate) use avx2_dispatch;
