//! Snapshot format versions 1 to 4, read only: the arrays were stored field by field in
//! sections `NEUR`, `SYNW`, `STPS`, `DLAY` and `TRAC`, and the global rate estimate in `CLCK`.
//! They are decoded into the named arrays of version 5, so that restoring goes through the one
//! state list like every other snapshot.
//!
//! Differences between the old versions: version 3 stored the postsynaptic traces as values
//! followed by the LTD factors (now computed where used); versions 1 and 2 also lacked the
//! presynaptic traces' scale steps; version 1 also lacked STP's last-spike steps.

use super::codec::{self, Dec};
use super::decode_clock;
use crate::error::Result;
use crate::sim::connectivity::{Population, ProjectionId};
use crate::sim::network::{Array, NetworkState};
use crate::sim::params::Params;

/// The neuron variables in the order the old `NEUR` section stored them.
const NEURON_VARS: [&str; 7] = ["v", "g_ampa", "g_nmda", "g_gaba", "g_a1", "g_a2", "theta"];

/// Decodes the sections after `PARM` of a version 1–4 file.
#[expect(clippy::too_many_lines, reason = "one frozen format, read section by section")]
pub(super) fn decode(d: &mut Dec<'_>, params: Params, version: u32) -> Result<NetworkState> {
    let net = &params.network;
    let (ne, ni, nin) = (net.n_e, net.n_i, params.n_input());
    let slots = net.delay_steps + 1;
    let clock = decode_clock(d, true)?;
    let t = clock.t;
    let mut arrays: Vec<(String, Array)> = Vec::new();
    let mut push = |name: String, a: Array| arrays.push((name, a));
    push("h_global".into(), Array::F64(vec![clock.h_global.unwrap_or(0.0)]));

    d.section(*b"NEUR", |d| {
        for (pop, n) in [("e", ne), ("i", ni)] {
            for var in NEURON_VARS {
                let name = format!("{pop}.{var}");
                push(name.clone(), Array::F32(d.f32s(&name, n, n)?));
            }
            let name = format!("{pop}.spikes");
            push(name.clone(), Array::U32(d.u32s(&name, 0, n)?));
        }
        Ok(())
    })?;

    d.section(*b"SYNW", |d| {
        for id in ProjectionId::ALL {
            let max = pop_size(id.pre(), ne, ni, nin) * pop_size(id.post(), ne, ni, nin);
            let name = format!("{}.w", id.stem());
            push(name.clone(), Array::F32(d.f32s(&name, 0, max)?));
        }
        for id in ProjectionId::EXCITATORY {
            let max = pop_size(id.pre(), ne, ni, nin) * ne;
            let name = format!("{}.w_tilde", id.stem());
            push(name.clone(), Array::F32(d.f32s(&name, 0, max)?));
        }
        Ok(())
    })?;

    d.section(*b"STPS", |d| {
        let mut xu = Vec::new();
        for (pop, n) in [("e", ne), ("input", nin)] {
            for var in ["x", "u"] {
                let name = format!("stp.{pop}.{var}");
                xu.push((name.clone(), Array::F32(d.f32s(&name, n, n)?)));
            }
        }
        // Version 1 stored x and u relaxed to the end of the last step: as if each unit had
        // spiked at the current step.
        let steps = if version >= 2 {
            [Array::U64(d.u64s("stp.e.t", ne, ne)?), Array::U64(d.u64s("stp.input.t", nin, nin)?)]
        } else {
            [Array::U64(vec![t; ne]), Array::U64(vec![t; nin])]
        };
        for (n, a) in xu {
            push(n, a);
        }
        let [te, tin] = steps;
        push("stp.e.t".into(), te);
        push("stp.input.t".into(), tin);
        Ok(())
    })?;

    d.section(*b"DLAY", |d| {
        for pop in Population::ALL {
            let n = pop_size(pop, ne, ni, nin);
            let count = d.u64(&format!("delay.{} slot count", pop.stem()))?;
            if count != slots as u64 {
                return Err(d.err(&format!("delay.{}: {count} slots, the parameters' delay needs {slots}", pop.stem())));
            }
            for k in 0..slots {
                let ids_name = format!("delay.{}.{k}.ids", pop.stem());
                let ids = d.u32s(&ids_name, 0, n)?;
                let eff_name = format!("delay.{}.{k}.eff", pop.stem());
                let eff = d.f32s(&eff_name, ids.len(), n)?;
                push(ids_name, Array::U32(ids));
                push(eff_name, Array::F32(eff));
                // No emulation of the STP mix-up existed then.
                push(format!("delay.{}.{k}.mixed", pop.stem()), Array::F32(Vec::new()));
            }
        }
        Ok(())
    })?;

    d.section(*b"TRAC", |d| {
        let mut x = Vec::new();
        for pop in Population::ALL {
            let n = pop_size(pop, ne, ni, nin);
            x.push(d.f32s(&format!("x.{}", pop.stem()), n, n)?);
        }
        let y = d.f32s("post.y", ne, ne)?;
        let z = d.f32s("post.z", ne, ne)?;
        let h = d.f64s("post.h", ne, ne)?;
        if version < 4 {
            // The LTD factors, now computed from y and h where they are used.
            d.f32s("ltd", ne, ne)?;
        }
        // Traces stored as values count as scaled from the current step.
        let x_base = if version >= 3 { d.u64s("trace scale steps", 3, 3)? } else { vec![t; 3] };
        let post_base = if version >= 4 { d.u64("post trace scale step")? } else { t };
        for ((pop, x), base) in Population::ALL.into_iter().zip(x).zip(x_base) {
            push(format!("x.{}", pop.stem()), Array::F32(x));
            push(format!("x.{}.base", pop.stem()), Array::U64(vec![base]));
        }
        push("post.y".into(), Array::F32(y));
        push("post.z".into(), Array::F32(z));
        push("post.h".into(), Array::F64(h));
        push("post.base".into(), Array::U64(vec![post_base]));
        // No single-precision homeostat existed then: its array holds the initial value, as in
        // a network that never switched it on (switching it on starts it from h).
        let h0 = params.plasticity.nu_bar_init_hz * params.plasticity.tau_hom_s;
        push("post.h32".into(), Array::F32(vec![h0 as f32; ne]));
        Ok(())
    })?;

    let input = d.section(*b"INPT", |d| codec::decode_input(d, nin))?;
    Ok(NetworkState {
        params,
        t,
        phase: clock.phase,
        counts: clock.counts,
        structure_hash: clock.structure_hash,
        arrays,
        input,
    })
}

fn pop_size(pop: Population, ne: usize, ni: usize, nin: usize) -> usize {
    match pop {
        Population::E => ne,
        Population::I => ni,
        Population::Input => nin,
    }
}
