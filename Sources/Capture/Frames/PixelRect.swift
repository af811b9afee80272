/// A rectangle of pixels: x, y, width, height.
struct PixelRect: Sendable, Equatable {
    var x: Int, y: Int, w: Int, h: Int

    var isEmpty: Bool { w <= 0 || h <= 0 }

    func contains(x px: Int, y py: Int) -> Bool { px >= x && px < x + w && py >= y && py < y + h }

    /// The part of both rectangles; nil when they do not overlap.
    func intersection(_ o: PixelRect) -> PixelRect? {
        let x0 = max(x, o.x)
        let y0 = max(y, o.y)
        let x1 = min(x + w, o.x + o.w)
        let y1 = min(y + h, o.y + o.h)
        return x1 > x0 && y1 > y0 ? PixelRect(x: x0, y: y0, w: x1 - x0, h: y1 - y0) : nil
    }

    /// This rectangle without `o`: up to four rectangles.
    func subtracting(_ o: PixelRect) -> [PixelRect] {
        guard let cut = intersection(o) else { return [self] }
        return [
            PixelRect(x: x, y: y, w: w, h: cut.y - y),  // above
            PixelRect(x: x, y: cut.y + cut.h, w: w, h: y + h - cut.y - cut.h),  // below
            PixelRect(x: x, y: cut.y, w: cut.x - x, h: cut.h),  // left
            PixelRect(x: cut.x + cut.w, y: cut.y, w: x + w - cut.x - cut.w, h: cut.h),
        ]  // right
        .filter { !$0.isEmpty }
    }
}
