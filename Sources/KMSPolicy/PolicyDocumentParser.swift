import KMSCore

/// Checks a parsed policy document field by field and compiles its statements.
///
/// Every error is `KMSError(.malformedPolicy, …)` whose message names the statement (its
/// index and `Sid`) and the field, e.g.
/// `Statement[1] (Sid "AllowUse"): Action: unknown action "kms:Encryptt"`.
enum PolicyDocumentParser {
    /// The only `Version` accepted.
    static let version = "2012-10-17"

    private static let documentFields = ["Version", "Statement"]
    private static let statementFields = ["Sid", "Effect", "Principal", "Action", "Resource", "Condition"]

    /// Compiles the statements of `document`.
    ///
    /// - Throws: `KMSError` `.malformedPolicy` naming the statement and field.
    static func compile(_ document: JSONValue) throws(KMSError) -> [CompiledStatement] {
        guard case .object(let object) = document else {
            throw malformed("the policy must be a JSON object, found \(document.typeDescription)")
        }
        try rejectUnknownFields(object, allowed: documentFields, location: "the policy")
        if let version = object["Version"] {
            guard case .string(let text) = version, text == Self.version else {
                throw malformed("Version: must be \(quoted(Self.version)), found \(describe(version))")
            }
        }
        let statementValues: [JSONValue]
        switch object["Statement"] {
        case nil: throw malformed("Statement: is missing")
        case .array(let elements)?:
            guard !elements.isEmpty else { throw malformed("Statement: the list must not be empty") }
            statementValues = elements
        case .object?: statementValues = [object["Statement"] ?? .null]
        case let other?: throw malformed("Statement: expected an object or a list of objects, found \(other.typeDescription)")
        }
        var statements: [CompiledStatement] = []
        var sidIndices: [String: Int] = [:]
        for (index, value) in statementValues.enumerated() {
            let statement = try compileStatement(value, index: index)
            if let sid = statement.sid {
                if let first = sidIndices[sid] {
                    throw malformed("\(location(index, sid)): Sid: duplicate of Statement[\(first)]")
                }
                sidIndices[sid] = index
            }
            statements.append(statement)
        }
        return statements
    }

    private static func compileStatement(_ value: JSONValue, index: Int) throws(KMSError) -> CompiledStatement {
        guard case .object(let object) = value else {
            throw malformed("Statement[\(index)]: expected an object, found \(value.typeDescription)")
        }
        var sid: String?
        if let sidValue = object["Sid"] {
            guard case .string(let text) = sidValue else {
                throw malformed("Statement[\(index)]: Sid: expected a string, found \(sidValue.typeDescription)")
            }
            sid = text
        }
        let here = location(index, sid)
        try rejectUnknownFields(object, allowed: statementFields, location: here)

        func field<T>(_ name: String, _ compile: ([String]) throws(PolicyTextError) -> T) throws(KMSError) -> T {
            do throws(PolicyTextError) {
                return try compile(try stringList(object[name]))
            } catch {
                throw malformed("\(here): \(name): \(error.message)")
            }
        }

        let effect: PolicyEffect
        switch object["Effect"] {
        case nil: throw malformed("\(here): Effect: is missing")
        case .string(let text)?:
            guard let parsed = PolicyEffect(rawValue: text) else {
                throw malformed("\(here): Effect: must be \"Allow\" or \"Deny\", found \(quoted(text))")
            }
            effect = parsed
        case let other?: throw malformed("\(here): Effect: expected \"Allow\" or \"Deny\", found \(other.typeDescription)")
        }
        let principals = try field("Principal", PrincipalMatcher.init(entries:))
        let actions = try field("Action", ActionSet.init(patterns:))
        let resources = try field("Resource", ResourceMatcher.init(entries:))
        var conditions: [CompiledCondition] = []
        if let block = object["Condition"] {
            do throws(PolicyTextError) {
                conditions = try ConditionParser.parse(block)
            } catch {
                throw malformed("\(here): Condition: \(error.message)")
            }
        }
        return CompiledStatement(
            index: index, sid: sid, effect: effect, principals: principals, actions: actions, resources: resources,
            conditions: conditions)
    }

    /// A string or a non-empty list of non-empty strings.
    private static func stringList(_ value: JSONValue?) throws(PolicyTextError) -> [String] {
        switch value {
        case nil:
            throw PolicyTextError("is missing")
        case .string(let text)?:
            guard !text.isEmpty else { throw PolicyTextError("must not be an empty string") }
            return [text]
        case .array(let elements)?:
            guard !elements.isEmpty else { throw PolicyTextError("the list must not be empty") }
            var texts: [String] = []
            for (position, element) in elements.enumerated() {
                guard case .string(let text) = element else {
                    throw PolicyTextError("element \(position) is \(element.typeDescription); expected a string")
                }
                guard !text.isEmpty else { throw PolicyTextError("element \(position) is an empty string") }
                texts.append(text)
            }
            return texts
        case let other?:
            throw PolicyTextError("expected a string or a list of strings, found \(other.typeDescription)")
        }
    }

    private static func rejectUnknownFields(
        _ object: JSONObject, allowed: [String], location: String
    ) throws(KMSError) {
        for (name, _) in object.members where !allowed.contains(name) {
            let hint = allowed.first { $0.lowercased() == name.lowercased() }.map { " (did you mean \(quoted($0))?)" }
            throw malformed("\(location): unknown field \(quoted(name))\(hint ?? "")")
        }
    }

    /// `Statement[1] (Sid "AllowUse")` or `Statement[1]`.
    private static func location(_ index: Int, _ sid: String?) -> String {
        "Statement[\(index)]" + (sid.map { " (Sid \(quoted($0)))" } ?? "")
    }

    private static func describe(_ value: JSONValue) -> String {
        if case .string(let text) = value { return quoted(text) }
        return value.typeDescription
    }

    private static func malformed(_ message: String) -> KMSError {
        KMSError(.malformedPolicy, message)
    }
}
