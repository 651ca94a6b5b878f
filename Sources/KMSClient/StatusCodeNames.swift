import GRPCCore
import KMSCore

extension RPCError.Code {
    /// The code's name as the gRPC specification writes it, e.g. `NOT_FOUND`.
    public var canonicalName: String { StatusCodeName.of(rawValue) }
}
