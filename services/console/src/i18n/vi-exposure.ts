/**
 * Vietnamese: the supervisors' page of everyone's daily exposure (review-exposure.tsx); spread into the catalogue
 * (vi.ts). Kept apart so that the main catalogue stays readable.
 */
export const viExposure = {
  'exposure.title': 'Mức tiếp xúc hình ảnh của người xem xét',
  'exposure.link': 'Mức tiếp xúc hình ảnh của người xem xét (giám sát)',
  'exposure.back': 'Về hàng đợi xem xét',
  'exposure.day': 'Ngày',
  'exposure.dayHint': 'Theo giờ Việt Nam; tối đa 366 ngày trước.',
  'exposure.audited':
    'Đây là dữ liệu cá nhân của nhân viên: mỗi lần xem trang này được ghi vào nhật ký kiểm toán.',
  'exposure.limits':
    'Giới hạn mỗi ngày: {reveal, plural, =0 {ảnh gốc không giới hạn} other {# ảnh gốc}}, {preview, plural, =0 {ảnh xem trước không giới hạn} other {# ảnh xem trước}}.',
  'exposure.limitsUnknown':
    'Giới hạn mỗi ngày của ngày này không rõ: ngày này được đếm trước khi hệ thống ghi giới hạn kèm số lần xem.',
  'exposure.summary':
    '{reached, plural, =0 {Chưa ai chạm giới hạn} other {# người đã chạm giới hạn}}; {near, plural, =0 {không ai sắp chạm giới hạn} other {# người sắp chạm giới hạn}}.',
  'exposure.truncated': 'Chỉ hiện {count, number} người tiếp xúc nhiều nhất.',
  'exposure.people': '{count, plural, =0 {Không có ai} other {# người}} trong ngày {day}',
  'exposure.person': 'Người',
  'exposure.role': 'Vai trò',
  'exposure.reveals': 'Ảnh gốc đã xem',
  'exposure.previews': 'Ảnh xem trước đã xem',
  'exposure.standing': 'Tình trạng',
  'exposure.count': '{count, number} / {limit, plural, =0 {không giới hạn} other {#}}',
  'exposure.countUnknown': '{count, number} / không rõ giới hạn',
  'exposure.unknown': 'Không rõ giới hạn',
  'exposure.reached': 'Đã chạm giới hạn',
  'exposure.near': 'Sắp chạm giới hạn',
  'exposure.under': 'Bình thường',
  'exposure.disabled': '(đã khoá)',
} as const;
