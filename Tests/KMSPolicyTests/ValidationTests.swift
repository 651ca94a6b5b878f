import KMSCore
import KMSPolicy
import Testing

/// A document the compiler must reject, the error code, and text the message must contain.
struct InvalidPolicyCase: Sendable, CustomTestStringConvertible {
    let name: String
    let json: String
    let code: KMSError.Code
    let fragments: [String]

    init(_ name: String, _ json: String, code: KMSError.Code = .malformedPolicy, _ fragments: String...) {
        self.name = name
        self.json = json
        self.code = code
        self.fragments = fragments
    }

    var testDescription: String { name }
}

private typealias P = PolicyJSON

/// A policy with one Allow statement (Sid "S") holding `condition`.
private func withCondition(_ condition: String) -> String {
    P.document(P.allow(sid: "S", condition: condition))
}

private let invalidCases: [InvalidPolicyCase] = [
    // JSON syntax
    .init("unclosed list", #"{"Statement": [}"#, "not valid JSON", "line 1, column 16"),
    .init("position on a later line", "{\n  \"Statement\": [\n    {\"Effect\" \"Allow\"}\n  ]\n}", "not valid JSON", "line 3, column 15", "expected ':'"),
    .init("trailing comma", #"{"Statement": [{"Effect": "Allow"},]}"#, "not valid JSON", "expected a value"),
    .init("duplicate member", #"{"Statement": {"Effect": "Allow", "Effect": "Deny"}}"#, "not valid JSON", #"duplicate member "Effect""#),
    .init("empty document", "", "not valid JSON", "unexpected end"),
    .init("content after the document", #"{"Statement": []} {}"#, "not valid JSON", "after the end"),
    .init("excessive nesting", String(repeating: "[", count: 40) + String(repeating: "]", count: 40), "not valid JSON", "nesting deeper"),
    .init("unpaired surrogate escape", #"{"Statement": "\ud800"}"#, "not valid JSON", "unpaired surrogate"),
    .init("raw control character in a string", "{\"Statement\": \"a\u{01}b\"}", "not valid JSON", "control character"),
    // Document shape
    .init("top level is not an object", #"[]"#, "must be a JSON object", "found a list"),
    .init("wrong Version", #"{"Version": "2008-10-17", "Statement": []}"#, #"Version: must be "2012-10-17", found "2008-10-17""#),
    .init("Version of the wrong type", #"{"Version": 2012, "Statement": []}"#, "Version: must be", "found a number"),
    .init("unknown top-level field with a hint", #"{"statement": []}"#, #"unknown field "statement""#, #"did you mean "Statement"?"#),
    .init("missing Statement", #"{"Version": "2012-10-17"}"#, "Statement: is missing"),
    .init("empty Statement list", #"{"Statement": []}"#, "Statement: the list must not be empty"),
    .init("Statement of the wrong type", #"{"Statement": "Allow"}"#, "Statement: expected an object or a list of objects, found a string"),
    .init("statement that is not an object", #"{"Statement": [42]}"#, "Statement[0]: expected an object, found a number"),
    // Statement fields
    .init("unknown statement field", P.document(#"{"Sid":"S","Effect":"Allow","Principal":"*","NotAction":"kms:Encrypt","Resource":"*"}"#), #"Statement[0] (Sid "S"): unknown field "NotAction""#),
    .init("Sid of the wrong type", P.document(#"{"Sid":7,"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}"#), "Statement[0]: Sid: expected a string, found a number"),
    .init("duplicate Sid", P.document(P.allow(sid: "Same"), P.deny(sid: "Same")), #"Statement[1] (Sid "Same"): Sid: duplicate of Statement[0]"#),
    .init("missing Effect", P.document(#"{"Sid":"S","Principal":"*","Action":"kms:*","Resource":"*"}"#), #"Statement[0] (Sid "S"): Effect: is missing"#),
    .init("lower-case Effect", P.document(P.statement("allow", sid: "S")), #"Statement[0] (Sid "S"): Effect: must be "Allow" or "Deny", found "allow""#),
    .init("missing Principal", P.document(#"{"Effect":"Allow","Action":"kms:*","Resource":"*"}"#), "Statement[0]: Principal: is missing"),
    .init("Principal as an AWS-style object", P.document(P.allow(sid: "S", principal: #"{"AWS":"*"}"#)), #"Statement[0] (Sid "S"): Principal: expected a string or a list of strings, found an object"#),
    .init("empty Principal list", P.document(P.allow(sid: "S", principal: "[]")), "Principal: the list must not be empty"),
    .init("empty Principal string", P.document(P.allow(sid: "S", principal: #""""#)), "Principal: must not be an empty string"),
    .init("policy variable in a Principal", P.document(P.allow(sid: "S", principal: #""spiffe://${aws:username}""#)), "Principal:", "policy variables are not supported"),
    .init("missing Action", P.document(#"{"Effect":"Allow","Principal":"*","Resource":"*"}"#), "Statement[0]: Action: is missing"),
    .init("misspelt action", P.document(P.allow(sid: "S", action: #""kms:Decrpyt""#)), #"Statement[0] (Sid "S"): Action: unknown action "kms:Decrpyt""#),
    .init("action of another service", P.document(P.allow(sid: "S", action: #""s3:GetObject""#)), #"Action: unknown action "s3:GetObject""#),
    .init("action pattern that matches nothing", P.document(P.allow(sid: "S", action: #""kms:Frobnicate*""#)), #"Action: "kms:Frobnicate*" matches no action"#),
    .init("non-string in the Action list", P.document(P.allow(sid: "S", action: #"["kms:Encrypt", 5]"#)), "Action: element 1 is a number; expected a string"),
    .init("missing Resource", P.document(#"{"Effect":"Allow","Principal":"*","Action":"kms:*"}"#), "Statement[0]: Resource: is missing"),
    .init("ARN as Resource", P.document(P.allow(sid: "S", resource: #""arn:aws:kms:us-east-1:111122223333:key/x""#)), #"Resource: "arn:aws:kms:"#, #"neither "*" nor a "key/<key id>" pattern"#),
    .init("upper-case key id pattern", P.document(P.allow(sid: "S", resource: #""key/1B4E28BA-*""#)), "Resource:", "can never match"),
    .init("key id that is not a UUID", P.document(P.allow(sid: "S", resource: #""key/1234""#)), #"Resource: "key/1234" is not a key id"#),
    // Conditions
    .init("Condition that is not an object", withCondition(#""tenant""#), #"Statement[0] (Sid "S"): Condition: expected an object of condition operators, found a string"#),
    .init("empty Condition", withCondition("{}"), "Condition: must not be empty"),
    .init("unknown operator", withCondition(#"{"StringEqual":{"kms:KeyId":"x"}}"#), #"Statement[0] (Sid "S"): Condition: unknown operator "StringEqual""#),
    .init("operator names are case-sensitive", withCondition(#"{"stringequals":{"kms:KeyId":"x"}}"#), #"unknown operator "stringequals""#),
    .init("empty operator block", withCondition(#"{"StringEquals":{}}"#), "Condition: StringEquals: must not be empty"),
    .init("unknown condition key", withCondition(#"{"StringEquals":{"kms:EncryptionContxt:tenant":"acme"}}"#), #"Condition: StringEquals: unknown condition key "kms:EncryptionContxt:tenant""#),
    .init("condition key of another service", withCondition(#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#), #"unknown condition key "aws:SourceIp""#),
    .init("encryption context key without a name", withCondition(#"{"StringEquals":{"kms:EncryptionContext:":"x"}}"#), "unknown condition key"),
    .init("empty list of values", withCondition(#"{"StringEquals":{"kms:KeyId":[]}}"#), "Condition: StringEquals: kms:KeyId: the list of values must not be empty"),
    .init("object as a value", withCondition(#"{"StringEquals":{"kms:KeyId":{"a":"b"}}}"#), "kms:KeyId: expected a value or a non-empty list of values, found an object"),
    .init("number for a String operator", withCondition(#"{"StringEquals":{"kms:EncryptionContext:version":3}}"#), "kms:EncryptionContext:version: expected a string, found a number"),
    .init("Date operator on a string key", withCondition(#"{"DateLessThan":{"kms:EncryptionContext:expires":"2025-01-01"}}"#), "Date operators apply only to kms:CurrentTime"),
    .init("String operator on kms:CurrentTime", withCondition(#"{"StringLike":{"kms:CurrentTime":"2025-*"}}"#), "kms:CurrentTime takes Date operators only"),
    .init("IpAddress on a string key", withCondition(#"{"IpAddress":{"kms:EncryptionContext:ip":"10.0.0.0/8"}}"#), "IpAddress and NotIpAddress apply only to kms:SourceIp"),
    .init("String operator on kms:SourceIp", withCondition(#"{"StringLike":{"kms:SourceIp":"10.*"}}"#), "kms:SourceIp takes IpAddress or NotIpAddress only"),
    .init("prefix length too long", withCondition(#"{"IpAddress":{"kms:SourceIp":"10.0.0.0/33"}}"#), "Condition: IpAddress: kms:SourceIp:", "prefix length must be 0 to 32"),
    .init("bits beyond the prefix", withCondition(#"{"IpAddress":{"kms:SourceIp":"10.1.0.0/8"}}"#), #""10.1.0.0/8" has bits set beyond the /8 prefix"#),
    .init("not an address", withCondition(#"{"NotIpAddress":{"kms:SourceIp":"10.0.0.256"}}"#), "is not an IPv4 or IPv6 address"),
    .init("IPv6 with two ::", withCondition(#"{"IpAddress":{"kms:SourceIp":"2001::db8::/32"}}"#), "is not an IPv4 or IPv6 address"),
    .init("not a date", withCondition(#"{"DateGreaterThan":{"kms:CurrentTime":"yesterday"}}"#), #""yesterday" is not a date"#),
    .init("impossible date", withCondition(#"{"DateGreaterThan":{"kms:CurrentTime":"2025-02-30"}}"#), #""2025-02-30" is not a date"#),
    .init("time without a zone", withCondition(#"{"DateGreaterThan":{"kms:CurrentTime":"2025-01-01T10:00:00"}}"#), "is not a date"),
    .init("not a number", withCondition(#"{"NumericLessThan":{"kms:EncryptionContext:size":"0x10"}}"#), #""0x10" is not a number"#),
    .init("not a boolean", withCondition(#"{"Bool":{"kms:EncryptionContext:archived":"yes"}}"#), #""yes" is not true or false"#),
    .init("multi-valued key without a set operator", withCondition(#"{"StringEquals":{"kms:EncryptionContextKeys":"tenant"}}"#), "kms:EncryptionContextKeys is multi-valued; use ForAllValues: or ForAnyValue:"),
    .init("set operator on a single-valued key", withCondition(#"{"ForAnyValue:StringEquals":{"kms:CallerPrincipal":"x"}}"#), "kms:CallerPrincipal is single-valued"),
    .init("set operator with a non-String operator", withCondition(#"{"ForAllValues:NumericEquals":{"kms:GrantOperations":"1"}}"#), "apply to String operators only"),
    .init("NullIfExists", withCondition(#"{"NullIfExists":{"kms:KeyId":"true"}}"#), "Null takes no IfExists suffix"),
    .init("IfExists alone is no operator", withCondition(#"{"IfExists":{"kms:KeyId":"x"}}"#), #"unknown operator "IfExists""#),
    .init("policy variable in a condition value", withCondition(#"{"StringEquals":{"kms:CallerPrincipal":"${kms:CallerPrincipal}"}}"#), "policy variables are not supported"),
    // Size
    .init("document over the size limit", P.document(P.allow(sid: String(repeating: "x", count: Limits.maxPolicyBytes))), code: .limitExceeded, "at most \(Limits.maxPolicyBytes)"),
]

@Suite struct ValidationTests {
    @Test(arguments: invalidCases)
    func invalidDocumentIsRejected(_ testCase: InvalidPolicyCase) {
        #expect {
            _ = try CompiledPolicy.compile(testCase.json)
        } throws: { error in
            guard let error = error as? KMSError else { return false }
            #expect(error.code == testCase.code)
            for fragment in testCase.fragments {
                #expect(error.message.contains(fragment), "message: \(error.message)")
            }
            return true
        }
    }

    @Test func messageNamesStatementSidAndField() {
        let json = P.document(
            P.allow(sid: "AllowAdmin", action: #""kms:*""#),
            P.allow(sid: "AllowUse", action: #"["kms:Decrypt","kms:Encryptt"]"#))
        #expect(throws: KMSError(.malformedPolicy, "")) { try CompiledPolicy.compile(json) }
        do {
            _ = try CompiledPolicy.compile(json)
        } catch {
            #expect(error.message == #"Statement[1] (Sid "AllowUse"): Action: unknown action "kms:Encryptt""#)
        }
    }

    @Test func documentAtTheSizeLimitIsAccepted() throws {
        let shell = P.document(P.allow(sid: ""))
        let padded = P.document(P.allow(sid: String(repeating: "x", count: Limits.maxPolicyBytes - shell.utf8.count)))
        #expect(padded.utf8.count == Limits.maxPolicyBytes)
        #expect(try CompiledPolicy.compile(padded).statementCount == 1)
    }

    @Test func longValuesAreCutInMessages() {
        let long = "kms:" + String(repeating: "A", count: 5000)
        do {
            _ = try CompiledPolicy.compile(P.document(P.allow(action: "\"\(long)\"")))
            Issue.record("a 5000-character unknown action compiled")
        } catch {
            #expect(error.code == .malformedPolicy)
            #expect(error.message.count < 200)
        }
    }

    @Test func singleStatementObjectAndOptionalVersionAreAccepted() throws {
        let policy = try CompiledPolicy.compile(#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*"}}"#)
        #expect(policy.statementCount == 1)
        let request = try RequestSpec(action: .encrypt).build()
        #expect(PolicyEngine.decide(request, keyPolicy: policy, serverPolicy: nil).isAllowed)
    }
}
