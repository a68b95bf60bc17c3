import Testing
@testable import SMT
