import Checker

enum MMUCheckVersion {
    static let string = MMUCheckInfo.version
}
