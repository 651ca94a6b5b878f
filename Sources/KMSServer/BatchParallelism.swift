import Foundation

/// Runs the items of one batch call on every core: contiguous runs of items, one child task
/// per run, at most one run per core, results in the order of the items.
///
/// Runs rather than a task per item, because a child task costs about as much as the work
/// of one small item; contiguous runs, so that items sharing a key (the common batch) find
/// it cached by the run before.
enum BatchParallelism {
    /// The number of runs a batch is split into at most: the cores this process may use.
    static let width = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// `transform` applied to every element of `elements`, in `width` runs at once; the
    /// results in the order of `elements`.
    static func map<Element: Sendable, Result: Sendable>(
        _ elements: [Element],
        width: Int = BatchParallelism.width,
        _ transform: @escaping @Sendable (Element) async -> Result
    ) async -> [Result] {
        let runs = runs(of: elements.count, width: width)
        guard runs.count > 1 else {
            var results: [Result] = []
            results.reserveCapacity(elements.count)
            for element in elements { results.append(await transform(element)) }
            return results
        }
        return await withTaskGroup(of: (Int, [Result]).self) { group in
            for (index, run) in runs.enumerated() {
                group.addTask {
                    var results: [Result] = []
                    results.reserveCapacity(run.count)
                    for element in elements[run] { results.append(await transform(element)) }
                    return (index, results)
                }
            }
            var byRun = [[Result]](repeating: [], count: runs.count)
            for await (index, results) in group { byRun[index] = results }
            return byRun.flatMap { $0 }
        }
    }

    /// `count` indices split into at most `width` contiguous runs of nearly equal length
    /// (the first `count % runs` one longer), none empty.
    static func runs(of count: Int, width: Int) -> [Range<Int>] {
        let runCount = max(1, min(width, count))
        let base = count / runCount, longer = count % runCount
        var start = 0
        return (0..<runCount).map { run in
            let length = base + (run < longer ? 1 : 0)
            defer { start += length }
            return start..<(start + length)
        }
    }
}
