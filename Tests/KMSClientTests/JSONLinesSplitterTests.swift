import Foundation
import KMSClient
import Testing

/// Splitting batch input into lines within the limits, whatever the input.
@Suite struct JSONLinesSplitterTests {
    private func split(_ chunks: [String], maxLineBytes: Int = 64, maxItems: Int = 3) throws(BatchInputError) -> [String] {
        var splitter = JSONLinesSplitter(maxLineBytes: maxLineBytes, maxItems: maxItems)
        for chunk in chunks { try splitter.append(Data(chunk.utf8)) }
        return try splitter.finish().map { String(decoding: $0, as: UTF8.self) }
    }

    @Test(arguments: [
        ["{}\n{}\n"],
        ["{}\n{}"],
        ["{", "}\n{", "}"],
        ["{}\r\n{}\r\n"],
        ["{}\n", "", "{}\n"],
    ])
    func splitsLinesAcrossChunks(chunks: [String]) throws {
        #expect(try split(chunks) == ["{}", "{}"])
    }

    @Test func takesExactlyTheItemLimitWithAFinalNewline() throws {
        #expect(try split(["{}\n{}\n{}\n"]).count == 3)
    }

    @Test(arguments: [["{}\n{}\n{}\n{}"], ["{}\n{}\n{}\n", "{}\n"], ["{}\n{}\n{}\n\n"]])
    func refusesMoreItemsThanTheLimit(chunks: [String]) {
        #expect(throws: BatchInputError(line: nil, "more than 3 items: a batch call takes at most 3; split the input (for example with `split -l 3`)")) {
            try split(chunks)
        }
    }

    @Test func refusesALongLineBeforeBufferingIt() {
        var splitter = JSONLinesSplitter(maxLineBytes: 8, maxItems: 3)
        #expect(throws: BatchInputError(line: 2, "longer than 8 bytes, more than any item can need")) {
            try splitter.append(Data("{}\n{\"a\":\"".utf8))
            try splitter.append(Data(repeating: UInt8(ascii: "x"), count: 1 << 20))
        }
    }

    @Test(arguments: [(["{}\n\n{}"], 2), (["\n"], 1), (["{}\n  \t\n"], 2), (["{}\n\r\n{}"], 2)])
    func refusesEmptyLinesNamingThem(chunks: [String], line: Int) {
        #expect(throws: BatchInputError(line: line, "empty; every line must be one JSON object")) {
            try split(chunks)
        }
    }

    @Test(arguments: [[String](), [""]])
    func refusesEmptyInput(chunks: [String]) {
        #expect(throws: BatchInputError(line: nil, "the input is empty: give one JSON object per line")) {
            try split(chunks)
        }
    }

    @Test func defaultsAreTheBatchLimits() throws {
        var splitter = JSONLinesSplitter()
        let line = "{}\n"
        try splitter.append(Data(String(repeating: line, count: 1000).utf8))
        #expect(try splitter.finish().count == 1000)
        var over = JSONLinesSplitter()
        #expect(throws: BatchInputError.self) { try over.append(Data(String(repeating: line, count: 1001).utf8)) }
        var long = JSONLinesSplitter()
        #expect(throws: BatchInputError.self) { try long.append(Data(repeating: 0x20, count: 64 * 1024 + 1)) }
    }
}
