/**
 * Vietnamese: what a case's evidence says on the review page (each hit's frame, the frames examined, a takedown
 * withheld); spread into the catalogue (vi.ts). Kept apart so that the main catalogue stays readable.
 */
export const viCaseFindings = {
  'caseFindings.shown': 'Trường hợp đang xem',
  'caseFindings.hits':
    '{count, plural, =0 {Không có kết quả khớp danh sách nào} other {# kết quả khớp danh sách}}',
  'caseFindings.bank': 'Ngân hàng',
  'caseFindings.signal': 'Loại mã băm',
  'caseFindings.distance': 'Khoảng cách',
  'caseFindings.category': 'Mức độ',
  'caseFindings.where': 'Khớp ở',
  'caseFindings.policy': 'Xử lý',
  'caseFindings.frameOf': 'khung {frame} / {count}',
  'caseFindings.frame': 'khung {frame}',
  'caseFindings.wholeFile': 'cả tệp',
  'caseFindings.automatic': 'Tự động ban hành lệnh',
  'caseFindings.review': 'Cần người xem xét',
  'caseFindings.negative': 'Đã biết là vô hại',
  'caseFindings.framesExamined':
    'Tệp nhiều khung hình (ảnh động hoặc nhiều trang): đã xét {examined} / {count} khung, băm {hashed} khung khác nhau.',
  'caseFindings.framesUnexamined':
    'Còn {unexamined, plural, other {# khung}} chưa được xét (khung {from} đến {count}): hệ thống chỉ xét số khung đã đặt, nên không biết các khung đó có nội dung trong danh sách hay không. Hãy xem cả tệp trước khi quyết định.',
  'caseFindings.framesScored':
    'Bộ phân loại đã chấm {scored} khung khác nhau trong {examined} / {count} khung; rủi ro cao nhất ở khung {frame} / {count} (điểm rủi ro của trường hợp là của khung này).',
  'caseFindings.framesUnscored':
    'Còn {unexamined, plural, other {# khung}} chưa được bộ phân loại chấm (khung {from} đến {count}): {why, select, no-decoder {ảnh PNG động, không bộ giải mã nào ở đây đọc được các khung sau khung đầu tiên} time-limit {đã hết thời gian giải mã cho phép} decode-refused {không giải mã được các khung sau} other {hệ thống chỉ chấm số khung đã đặt}}. Hãy xem cả tệp trước khi quyết định.',
  'caseFindings.withheldTitle': 'Lệnh gỡ bỏ đã bị giữ lại, chưa gửi',
  'caseFindings.withheld':
    'Không có lệnh gỡ bỏ nào được gửi tới {platform}, nền tảng quản lý tên miền {host}: địa chỉ này chỉ do {submitter} khai trong dữ liệu gửi kèm, hệ thống chưa tự thấy nội dung ở đó.',
  'caseFindings.withheldUrl': 'Địa chỉ được khai',
  'caseFindings.withheldAct':
    'Hãy kiểm tra nội dung có thật ở địa chỉ đó không; nếu có, người có thẩm quyền ban hành lệnh gỡ bỏ tới {platform} bằng tay.',
  'caseFindings.issueByHand': 'Ban hành lệnh bằng tay',
} as const;
