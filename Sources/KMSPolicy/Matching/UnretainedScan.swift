extension Array where Element: AnyObject {
    /// The index of the first element in `range` that satisfies `predicate`, visiting the
    /// elements without retaining and releasing each one.
    ///
    /// Evaluation scans immutable arrays of compiled statements, conditions and patterns
    /// millions of times a second; a plain loop retains and releases every element it
    /// visits, which cost more than the matching itself. This is safe because the array is
    /// borrowed for the whole call, so it keeps every element alive while `predicate` runs,
    /// and `predicate` cannot keep the reference beyond the call (it is non-escaping).
    @inline(__always)
    func firstIndexWithoutRetaining(in range: Range<Int>, where predicate: (Element) -> Bool) -> Int? {
        withUnsafeBufferPointer { buffer in
            guard let base = UnsafeRawPointer(buffer.baseAddress) else { return nil }
            let range = range.clamped(to: buffer.indices)
            for index in range {
                let object = base.load(fromByteOffset: index * MemoryLayout<Element>.stride, as: UnsafeRawPointer.self)
                if Unmanaged<Element>.fromOpaque(object)._withUnsafeGuaranteedRef(predicate) { return index }
            }
            return nil
        }
    }

    /// Whether any element satisfies `predicate`; see `firstIndexWithoutRetaining`.
    @inline(__always)
    func containsWithoutRetaining(where predicate: (Element) -> Bool) -> Bool {
        firstIndexWithoutRetaining(in: indices, where: predicate) != nil
    }

    /// Whether every element satisfies `predicate`; see `firstIndexWithoutRetaining`.
    @inline(__always)
    func allSatisfyWithoutRetaining(_ predicate: (Element) -> Bool) -> Bool {
        firstIndexWithoutRetaining(in: indices, where: { !predicate($0) }) == nil
    }
}
