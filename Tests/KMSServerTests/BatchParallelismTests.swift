@testable import KMSServer
import Synchronization
import Testing

/// A batch's items run in contiguous runs, one per core, and come back in request order.
@Suite struct BatchParallelismTests {
    @Test(arguments: [(1, 2), (2, 2), (3, 2), (100, 2), (1000, 2), (7, 3), (5, 8), (1, 1), (9, 1)])
    func runsCoverEveryIndexOnceInOrderAndNearlyEvenly(count: Int, width: Int) {
        let runs = BatchParallelism.runs(of: count, width: width)
        #expect(runs.count == min(count, width))
        #expect(runs.flatMap { Array($0) } == Array(0..<count))
        #expect(runs.allSatisfy { !$0.isEmpty })
        let lengths = runs.map(\.count)
        #expect((lengths.max() ?? 0) - (lengths.min() ?? 0) <= 1)
    }

    @Test(arguments: [1, 2, 4])
    func resultsComeBackInTheOrderOfTheItems(width: Int) async {
        let items = Array(0..<257)
        let results = await BatchParallelism.map(items, width: width) { item in
            // Later items finish first, so order cannot come from completion order.
            if item % 2 == 0 { await Task.yield() }
            return item * 3
        }
        #expect(results == items.map { $0 * 3 })
    }

    @Test func runsOfOneBatchAreInFlightTogether() async {
        // Each run waits until both runs have started: this finishes only if they run at once.
        let started = Atomic(0)
        let results = await BatchParallelism.map([0, 1], width: 2) { item in
            started.add(1, ordering: .sequentiallyConsistent)
            while started.load(ordering: .sequentiallyConsistent) < 2 { await Task.yield() }
            return item
        }
        #expect(results == [0, 1])
    }
}
