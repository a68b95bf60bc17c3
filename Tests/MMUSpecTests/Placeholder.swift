import Testing
@testable import MMUSpec
