//! Runtime dispatch of the step's streaming loops to AVX2.
//!
//! The default x86-64 target has only SSE2 (4 lanes of f32). The hot loops over neuron and
//! trace arrays are written as plain slice loops that the compiler vectorises; compiling the
//! same body a second time with AVX2 enabled gives 8 lanes, chosen at run time so the binary
//! still runs on CPUs without it. No fused multiply-add is enabled, so both versions perform
//! the same IEEE operations in the same order and give bit-identical results.

/// Defines `fn $name(args)` that calls the `#[inline(always)]` function `$body` with the same
/// arguments, compiled for AVX2 when the CPU supports it, else for the baseline target.
macro_rules! avx2_dispatch {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) => $body:path) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                fn avx2($($arg: $ty),*) {
                    $body($($arg),*)
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

pub(crate) use avx2_dispatch;
