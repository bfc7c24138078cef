/// A column of a result.
public struct PostgresColumn: Sendable, Hashable {
    public let name: String
    public let dataType: PostgresDataType
}

/// The outcome of one statement: its rows (copied out of libpq, in binary format) and the
/// number of rows it affected.
public struct PostgresResult: Sendable {
    final class Storage: Sendable {
        let columns: [PostgresColumn]
        let rowCount: Int
        /// All cell bytes, row after row.
        let bytes: [UInt8]
        /// For each cell (row-major), its start in `bytes`, or -1 for NULL.
        let starts: [Int]
        let lengths: [Int]

        init(columns: [PostgresColumn], rowCount: Int, bytes: [UInt8], starts: [Int], lengths: [Int]) {
            self.columns = columns
            self.rowCount = rowCount
            self.bytes = bytes
            self.starts = starts
            self.lengths = lengths
        }
    }

    let storage: Storage
    /// Rows inserted, updated, deleted, copied or selected, as the server reports it.
    public let affectedRows: Int

    init(storage: Storage, affectedRows: Int) {
        self.storage = storage
        self.affectedRows = affectedRows
    }

    static let empty = PostgresResult(
        storage: Storage(columns: [], rowCount: 0, bytes: [], starts: [], lengths: []), affectedRows: 0)

    public var columns: [PostgresColumn] { storage.columns }
    public var rows: PostgresRowSequence { PostgresRowSequence(storage: storage) }
    public var count: Int { storage.rowCount }

    /// The only row, or `nil` if there is none; throws if there are several.
    public func singleRow() throws -> PostgresRow? {
        guard storage.rowCount <= 1 else {
            throw PostgresError.decoding("expected at most one row, got \(storage.rowCount)")
        }
        return storage.rowCount == 1 ? PostgresRow(storage: storage, index: 0) : nil
    }

    /// Decodes every row as a tuple of the given types, in column order.
    public func decode<each T: PostgresDecodable>(_ types: repeat (each T).Type) throws -> [(repeat each T)] {
        var result: [(repeat each T)] = []
        result.reserveCapacity(storage.rowCount)
        for row in rows { result.append(try row.decode(repeat (each T).self)) }
        return result
    }
}

public struct PostgresRowSequence: RandomAccessCollection, Sendable {
    let storage: PostgresResult.Storage
    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.rowCount }
    public subscript(position: Int) -> PostgresRow { PostgresRow(storage: storage, index: position) }
}

/// One row of a result.
public struct PostgresRow: Sendable {
    let storage: PostgresResult.Storage
    let index: Int

    public var columns: [PostgresColumn] { storage.columns }

    /// Whether the given column is NULL.
    public func isNull(_ column: Int) -> Bool {
        storage.starts[index * storage.columns.count + column] < 0
    }

    /// Decodes the column at the given position.
    public func decode<T: PostgresDecodable>(_ type: T.Type, column: Int) throws -> T {
        guard column >= 0, column < storage.columns.count else {
            throw PostgresError.decoding("no column \(column); the row has \(storage.columns.count)")
        }
        let meta = storage.columns[column]
        let cell = index * storage.columns.count + column
        let start = storage.starts[cell]
        guard start >= 0 else { return try T.decodeNull(column: meta.name) }
        let bytes = storage.bytes[start..<(start + storage.lengths[cell])]
        return try T.decode(from: PostgresCell(dataType: meta.dataType, columnName: meta.name, bytes: bytes))
    }

    /// Decodes the first column with the given name.
    public func decode<T: PostgresDecodable>(_ type: T.Type, column name: String) throws -> T {
        guard let position = storage.columns.firstIndex(where: { $0.name == name }) else {
            throw PostgresError.decoding("no column named \(name)")
        }
        return try decode(type, column: position)
    }

    /// Decodes the leading columns as a tuple of the given types.
    public func decode<each T: PostgresDecodable>(_ types: repeat (each T).Type) throws -> (repeat each T) {
        var position = 0
        func next<U: PostgresDecodable>(_ type: U.Type) throws -> U {
            defer { position += 1 }
            return try decode(type, column: position)
        }
        return (repeat try next((each T).self))
    }
}
