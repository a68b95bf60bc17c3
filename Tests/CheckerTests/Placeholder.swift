import Testing
@testable import Checker
