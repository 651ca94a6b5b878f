import Foundation
import KMSCore
import KMSStorage
import SQLiteNIO

/// The queries that read and write grants, the binds of a grant row and the decoding of rows.
///
/// Operations and constraints are stored as `GrantJSON` writes them.
enum GrantRows {
    /// The columns of `grants` that a grant is made of, in the order of `insert`'s binds.
    private static let columns = """
        grant_id, key_id, name, creation_date, grantee_principal, retiring_principal, issuing_principal,
        operations, context_equals, context_subset, token
        """

    /// Inserts a grant row; binds as `binds(_:)` makes them.
    static let insert = "INSERT INTO grants (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

    private static let select = "SELECT \(columns) FROM grants"

    /// Reads the grants of the key bound as parameter 1, in creation order.
    static let selectOfKey = select + " WHERE key_id = ?1 ORDER BY seq"

    /// Reads the grant whose id is bound as parameter 1.
    static let selectByID = select + " WHERE grant_id = ?1"

    /// Reads the grant whose token is bound as parameter 1.
    static let selectByToken = select + " WHERE token = ?1"

    /// Reads the grants of the key bound as parameter 2 named as parameter 1, in creation order.
    static let selectByName = select + " WHERE key_id = ?2 AND name = ?1 ORDER BY seq"

    /// Reads up to parameter 3 grants of the key bound as parameter 1 whose ids sort after
    /// parameter 2, with the id equal to parameter 4 and the grantee equal to parameter 5
    /// where those are not NULL.
    static let selectPageOfKey = select + """
         WHERE key_id = ?1 AND grant_id > ?2 AND (?4 IS NULL OR grant_id = ?4)
           AND (?5 IS NULL OR grantee_principal = ?5)
        ORDER BY grant_id LIMIT ?3
        """

    /// Reads up to parameter 3 grants whose retiring principal is parameter 1 and whose ids
    /// sort after parameter 2.
    static let selectRetirablePage = select + """
         WHERE retiring_principal = ?1 AND grant_id > ?2 ORDER BY grant_id LIMIT ?3
        """

    /// The binds of `insert` for a grant.
    ///
    /// - Throws: `KMSError` `.validation` when a text field contains a NUL character or the
    ///   date is out of range.
    static func binds(_ grant: Grant) throws(KMSError) -> [SQLiteData] {
        try RowValues.grant(grant).map(SQLiteData.init)
    }

    /// Decodes a row of the queries above.
    ///
    /// - Throws: `KMSError` `.internalFailure` when the row does not hold a valid grant.
    static func decode(_ row: SQLiteRow) throws(KMSError) -> Grant {
        Grant(
            grantID: try row.text("grant_id"),
            keyID: try row.keyID("key_id"),
            name: try row.optionalText("name"),
            creationDate: try row.date("creation_date"),
            granteePrincipal: Principal(try row.text("grantee_principal")),
            retiringPrincipal: try row.optionalText("retiring_principal").map(Principal.init),
            issuingPrincipal: Principal(try row.text("issuing_principal")),
            operations: try GrantJSON.decodeOperations(try row.text("operations"), column: "operations"),
            constraints: GrantConstraints(
                encryptionContextEquals: try GrantJSON.decodeConstraint(try row.text("context_equals"), column: "context_equals"),
                encryptionContextSubset: try GrantJSON.decodeConstraint(try row.text("context_subset"), column: "context_subset")
            ),
            token: try row.text("token")
        )
    }
}
