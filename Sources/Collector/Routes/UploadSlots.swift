import Foundation

/// How many uploads each device has in flight. Every upload holds a connection, a blob being
/// written and a check of the contributor's room taken before the others are stored, so a
/// device (or a compromised one) opening many at once could hold the server's writers and pass
/// its contributor's quota. Past `perDevice`, an upload is refused 429 `too_many_uploads`
/// before its body is read, and sync tries again. The bound is generous (8 by default) because
/// a connection that stalls on the way keeps its slot until the idle timeout closes it: sync
/// uploads one segment at a time, and its retries after stalls must still find a slot.
actor UploadSlots {
    private let perDevice: Int
    private var inFlight: [String: Int] = [:]
    /// Slots held on all devices.
    private var count = 0

    init(perDevice: Int) { self.perDevice = perDevice }

    /// Takes one of `device`'s slots, or refuses the upload when all are taken.
    func take(_ device: String) throws(APIError) {
        guard inFlight[device, default: 0] < perDevice else {
            CollectorMetrics.uploadRefused()
            throw .tooManyUploads(perDevice)
        }
        inFlight[device, default: 0] += 1
        count += 1
        CollectorMetrics.uploadsInFlight(count)
    }

    /// Gives back a slot ``take(_:)`` gave, when its upload has ended, stored or not.
    func give(_ device: String) {
        let left = inFlight[device, default: 1] - 1
        inFlight[device] = left > 0 ? left : nil
        count -= 1
        CollectorMetrics.uploadsInFlight(count)
    }
}

extension APIError {
    static func tooManyUploads(_ limit: Int) -> APIError {
        var error = APIError(
            .tooManyRequests, "too_many_uploads", "this device already has \(limit) uploads in flight: try again once one has ended")
        error.retryAfter = 5
        return error
    }
}
