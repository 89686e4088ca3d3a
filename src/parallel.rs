//! Work spread over the machine's cores with the results kept in input order.
//!
//! Ingest must not depend on timing: records reach the store in the order they were
//! read, however many threads parsed them. [`ordered_map`] hands inputs to worker
//! threads in turn and takes the results back in that same turn, so the order is the
//! input order by construction, and at most a few inputs per worker are in flight.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Inputs a worker may hold at once (queued, in work, or done and not yet taken).
const DEPTH: usize = 2;

/// Worker threads for parsing beside the thread that consumes: one per core.
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Maps `inputs` through `f` on `workers` threads and hands each result to `consume`
/// in input order, on the calling thread (which also produces the inputs). With one
/// worker, no thread is started. A worker's panic is raised on the calling thread.
pub fn ordered_map<I: Send, O: Send>(
    inputs: impl IntoIterator<Item = I>,
    workers: usize,
    f: impl Fn(I) -> O + Sync,
    mut consume: impl FnMut(O),
) {
    if workers <= 1 {
        inputs.into_iter().for_each(|i| consume(f(i)));
        return;
    }
    std::thread::scope(|scope| {
        let f = &f;
        let lanes: Vec<(SyncSender<I>, Receiver<O>)> = (0..workers)
            .map(|_| {
                let (jobs, job) = sync_channel::<I>(DEPTH);
                let (done, results) = sync_channel::<O>(DEPTH);
                scope.spawn(move || {
                    for input in job {
                        if done.send(f(input)).is_err() {
                            return;
                        }
                    }
                });
                (jobs, results)
            })
            .collect();
        // Input n goes to lane n mod workers; results are taken in the same turn. A lane
        // never holds more than DEPTH inputs, so neither channel ever blocks for good.
        let take = |n: usize| -> O {
            lanes[n % workers]
                .1
                .recv()
                .unwrap_or_else(|_| panic!("a parsing thread stopped (panicked)"))
        };
        let (mut sent, mut taken) = (0usize, 0usize);
        for input in inputs {
            if sent - taken == workers * DEPTH {
                consume(take(taken));
                taken += 1;
            }
            if lanes[sent % workers].0.send(input).is_err() {
                panic!("a parsing thread stopped (panicked)");
            }
            sent += 1;
        }
        while taken < sent {
            consume(take(taken));
            taken += 1;
        }
        drop(lanes);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_input_order_whatever_the_timing() {
        for workers in [1, 2, 3, 5] {
            let mut got = Vec::new();
            ordered_map(
                0..200u64,
                workers,
                |i| {
                    // Uneven work, so that later inputs often finish first.
                    std::thread::sleep(std::time::Duration::from_micros((i * 37) % 200));
                    i * i
                },
                |o| got.push(o),
            );
            assert_eq!(got, (0..200u64).map(|i| i * i).collect::<Vec<_>>());
        }
    }

    #[test]
    #[should_panic(expected = "a parsing thread stopped")]
    fn a_worker_panic_reaches_the_caller() {
        ordered_map(
            0..10,
            2,
            |i: i32| if i == 3 { panic!("boom") } else { i },
            |_| {},
        );
    }
}
