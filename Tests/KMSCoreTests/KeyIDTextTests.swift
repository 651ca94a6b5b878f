import Foundation
import KMSCore
import Testing

/// Key ids are read and written without Foundation's `sscanf`/`snprintf`-based UUID text
/// code: they produce what it produces, read back what it writes, and accept only the strict
/// 8-4-4-4-12 form (where `sscanf` is lenient, e.g. about a sign inside a group, they refuse).
@Suite struct KeyIDTextTests {
    @Test func describesAsLowerCaseUUIDStringAndParsesBackInEitherCase() {
        for _ in 0..<2_000 {
            let uuid = UUID()
            let id = KeyID(uuid: uuid)
            #expect(id.description == uuid.uuidString.lowercased())
            #expect(KeyID(string: uuid.uuidString) == id)
            #expect(KeyID(string: uuid.uuidString.lowercased()) == id)
        }
        let fixed = KeyID(string: "1B4E28BA-2fa1-41D2-883f-0016D3CCA427")
        #expect(fixed?.description == "1b4e28ba-2fa1-41d2-883f-0016d3cca427")
        #expect(fixed?.bytes == [0x1b, 0x4e, 0x28, 0xba, 0x2f, 0xa1, 0x41, 0xd2, 0x88, 0x3f, 0x00, 0x16, 0xd3, 0xcc, 0xa4, 0x27])
    }

    static let refused = [
        "", "1b4e28ba-2fa1-41d2-883f-0016d3cca42", "1b4e28ba-2fa1-41d2-883f-0016d3cca4277",
        "1b4e28ba2fa1-41d2-883f-0016d3cca4277", "1b4e28ba-2fa1-41d2-883f+0016d3cca427",
        "1b4e28bg-2fa1-41d2-883f-0016d3cca427", "{1b4e28ba-2fa1-41d2-883f-0016d3cca42}",
        " 1b4e28ba-2fa1-41d2-883f-0016d3cca42", "1b4e28ba-2fa1-41d2-883f-0016d3cca4\u{00e9}",
        "1b4e28ba-2fa1-41d2-883f-0016d3cca4 7", "1b4e28ba_2fa1_41d2_883f_0016d3cca427",
        "alias/1b4e28ba-2fa1-41d2-883f-0016d3", "1b4e28ba-2fa1-41d2-883f-0016d3cca42\u{0}",
        "-1b4e28ba2fa1-41d2-883f-0016d3cca427", "1b4e28ba-2fa1-41d2-883f-0016d3cc-427",
        "-b4e28ba-2fa1-41d2-883f-0016d3cca427", "1b4e28ba-+fa1-41d2-883f-0016d3cca427",
    ]


    /// Some of these Foundation's `sscanf` reads as a UUID (a space or sign inside a group).
    @Test(arguments: refused)
    func refusesAnythingButTheStrictForm(text: String) {
        #expect(KeyID(string: text) == nil)
    }

    @Test func acceptsExactlyTheStrictFormOnEveryOneCharacterChangeOfAnId() {
        let strictForm = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/
        let base = Array("1b4e28ba-2fa1-41d2-883f-0016d3cca427".utf8)
        let replacements = Array("-09afAFgG {}x\u{7f}".utf8)
        for index in base.indices {
            for replacement in replacements {
                var changed = base
                changed[index] = replacement
                let text = String(decoding: changed, as: UTF8.self)
                let parsed = KeyID(string: text)
                #expect((parsed != nil) == (text.wholeMatch(of: strictForm) != nil), "\(text)")
                if let parsed { #expect(UUID(uuidString: text).map(KeyID.init(uuid:)) == parsed, "\(text)") }
            }
        }
    }
}
