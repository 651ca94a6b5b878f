/// Dates in condition values: ISO 8601 text or seconds since 1970, as seconds since 1970.
///
/// Accepted text: `2025-01-31` (midnight UTC), `2025-01-31T12:00Z`, `2025-01-31T12:00:00Z`,
/// with optional fractional seconds and a `Z`, `±hh:mm` or `±hhmm` zone. A time without a
/// zone is rejected because its instant is ambiguous.
enum PolicyDate {
    /// Parses a date; `nil` when `text` is neither ISO 8601 nor a decimal number.
    static func parse(_ text: String) -> Double? {
        if let seconds = PolicyNumber.parse(text) { return seconds }
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.digits(4), scanner.skip("-"), let month = scanner.digits(2), scanner.skip("-"),
            let day = scanner.digits(2), (1...12).contains(month), (1...daysInMonth(year, month)).contains(day)
        else { return nil }
        var seconds = Double(daysFromCivil(year, month, day) * 86_400)
        if scanner.atEnd { return seconds }
        guard scanner.skip("T"), let hour = scanner.digits(2), scanner.skip(":"), let minute = scanner.digits(2),
            hour <= 23, minute <= 59
        else { return nil }
        seconds += Double(hour * 3600 + minute * 60)
        if scanner.skip(":") {
            guard let second = scanner.digits(2), second <= 59 else { return nil }
            seconds += Double(second)
            if scanner.skip(".") {
                guard let fraction = scanner.fraction() else { return nil }
                seconds += fraction
            }
        }
        guard let offset = scanner.zoneOffset(), scanner.atEnd else { return nil }
        return seconds - Double(offset)
    }

    /// Formats seconds since 1970 as `2025-01-31T12:00:00Z` (fractions cut), for traces.
    static func format(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.down))
        let days = whole >= 0 ? whole / 86_400 : (whole - 86_399) / 86_400
        let secondOfDay = whole - days * 86_400
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }

    private static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    private static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    private static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of `daysFromCivil`.
    private static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Reads fixed-width fields from ASCII bytes.
    private struct Scanner {
        private let bytes: [UInt8]
        private var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
            position += 1
            return true
        }

        mutating func digits(_ count: Int) -> Int? {
            guard position + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[position..<position + count] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            position += count
            return value
        }

        mutating func fraction() -> Double? {
            var value = 0.0
            var scale = 0.1
            let start = position
            while position < bytes.count, (0x30...0x39).contains(bytes[position]) {
                value += Double(bytes[position] - 0x30) * scale
                scale /= 10
                position += 1
            }
            return position > start ? value : nil
        }

        /// `Z` → 0; `+hh:mm` / `-hhmm` → the offset east of UTC in seconds.
        mutating func zoneOffset() -> Int? {
            if skip("Z") { return 0 }
            let sign: Int
            if skip("+") { sign = 1 } else if skip("-") { sign = -1 } else { return nil }
            guard let hours = digits(2), hours <= 23 else { return nil }
            _ = skip(":")
            guard let minutes = digits(2), minutes <= 59 else { return nil }
            return sign * (hours * 3600 + minutes * 60)
        }
    }
}

/// Decimal numbers in condition values and request values.
enum PolicyNumber {
    /// Parses a JSON-style decimal number (`-12`, `3.5`, `1e3`); `nil` for anything else,
    /// including hex, `inf` and surrounding spaces, which `Double(_:)` would accept.
    static func parse(_ text: String) -> Double? {
        var sawDigit = false
        for (position, byte) in text.utf8.enumerated() {
            switch byte {
            case 0x30...0x39: sawDigit = true
            case UInt8(ascii: "-") where position == 0: continue
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"): continue
            default: return nil
            }
        }
        guard sawDigit, let value = Double(text), value.isFinite else { return nil }
        return value
    }
}
