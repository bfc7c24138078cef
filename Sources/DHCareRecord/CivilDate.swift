public import DHSchemas
internal import DHWire

/// A calendar date (proleptic Gregorian, UTC), for comparing partial dates and retention windows.
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    /// 0 when only the year is known.
    public var month: Int
    /// 0 when only the year or month is known.
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The UTC date of a time given as seconds since 1970-01-01.
    public init(seconds: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        (year, month, day) = CivilTime.civil(fromDays: days)
    }

    /// The same day `years` years earlier (29 February becomes 28 February).
    public func yearsAgo(_ years: Int) -> CivilDate {
        let earlier = year - years
        return CivilDate(year: earlier, month: month, day: min(day, Self.daysIn(month: month, year: earlier)))
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Partial dates compare by what they state: 2024 is before 2024-01-01 and after 2023-12-31.
    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var description: String {
        switch (month, day) {
        case (0, _): String(year)
        case (_, 0): "\(year)-\(month < 10 ? "0" : "")\(month)"
        default: "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
        }
    }
}

extension Datahealth_V1_PartialDate {
    public var civil: CivilDate { CivilDate(year: Int(year), month: Int(month), day: Int(day)) }

    public init(_ date: CivilDate) {
        self.init()
        year = Int32(date.year)
        month = Int32(date.month)
        day = Int32(date.day)
    }
}
