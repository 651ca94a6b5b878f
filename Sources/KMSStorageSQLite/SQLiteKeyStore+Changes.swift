import KMSCore
import KMSStorage

/// The embedded store is owned by one `kmsd` (the `data_dir` lock), whose caches see every
/// change it makes, so it keeps no change feed.
extension SQLiteKeyStore {
    public var isShared: Bool { false }

    public func latestChangeSequence() async throws(KMSError) -> Int64 { 0 }

    public func changes(after sequence: Int64, limit: Int) async throws(KMSError) -> [StoreChange] {
        try StoreArguments.checkListLimit(limit)
        return []
    }
}
