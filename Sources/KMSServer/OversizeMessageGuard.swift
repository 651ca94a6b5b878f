import Foundation
import GRPCCore
import KMSCore
import NIOCore
import NIOHPACK
import NIOHTTP2

/// Answers a request message larger than the transport's limit with RESOURCE_EXHAUSTED and
/// the `google.rpc.ErrorInfo` reason `LIMIT_EXCEEDED`, as the gRPC specification asks,
/// where grpc-swift-nio-transport would reset the stream.
///
/// It sits first in each HTTP/2 stream's pipeline and reads the 5-byte gRPC message prefix
/// of the request's DATA frames. At the first prefix that announces more than `limit`
/// bytes, before any of the message is buffered, it sends a trailers-only response, ends
/// the request for the gRPC handler (whose RPC then fails without a message; its own
/// response is dropped here) and discards the rest of the request.
final class OversizeMessageGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let limit: Int
    private var prefix: [UInt8] = []
    private var messageBytesLeft = 0
    private var answered = false

    init(limit: Int) {
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        if case .data(let frame) = unwrapInboundIn(data), case .byteBuffer(let bytes) = frame.data,
           let announced = firstOversizeLength(in: bytes) {
            answer(context: context, announced: announced)
            return
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !answered else {
            promise?.succeed()
            return
        }
        context.write(data, promise: promise)
    }

    /// Follows the message framing through `bytes`; the announced length of the first
    /// message over the limit, if one starts here.
    private func firstOversizeLength(in bytes: ByteBuffer) -> Int? {
        var bytes = bytes
        while bytes.readableBytes > 0 {
            if messageBytesLeft > 0 {
                let skipped = min(messageBytesLeft, bytes.readableBytes)
                bytes.moveReaderIndex(forwardBy: skipped)
                messageBytesLeft -= skipped
                continue
            }
            let wanted = min(5 - prefix.count, bytes.readableBytes)
            prefix += bytes.readBytes(length: wanted) ?? []
            guard prefix.count == 5 else { continue }
            let length = prefix[1...4].reduce(0) { $0 << 8 | Int($1) }
            prefix = []
            if length > limit { return length }
            messageBytesLeft = length
        }
        return nil
    }

    private func answer(context: ChannelHandlerContext, announced: Int) {
        answered = true
        let error = RPCError(ErrorMapping.status(for: KMSError(
            .limitExceeded, "the request message is \(announced) bytes; at most \(limit) are read"
        )))
        var headers: HPACKHeaders = [
            ":status": "200",
            "content-type": "application/grpc",
            "grpc-status": String(error.code.rawValue),
            "grpc-message": error.message.addingPercentEncoding(withAllowedCharacters: .grpcMessage) ?? "",
        ]
        for (key, value) in error.metadata {
            if case .binary(let bytes) = value {
                headers.add(name: key, value: Data(bytes).base64EncodedString())
            }
        }
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: headers, endStream: true))), promise: nil)
        // The gRPC handler's RPC ends now, without a message; what it answers is dropped.
        context.fireChannelRead(wrapInboundOut(.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true))))
    }
}

extension CharacterSet {
    /// What `grpc-message` may carry unencoded: printable ASCII except `%`.
    fileprivate static let grpcMessage = CharacterSet(charactersIn: " "..."~").subtracting(CharacterSet(charactersIn: "%"))
}
