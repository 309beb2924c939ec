/**
 * Vietnamese: why policy opened a case, from its reason code and parameters (`reasonCoded` of the case); spread
 * into the catalogue (vi.ts). A case without a code (opened before cases carried one) shows its stored reason.
 */
export const viCaseReasons = {
  'caseReason.reviewBankHit': 'Khớp ngân hàng cần người xem xét: {banks}',
  'caseReason.reviewFramesUnhashed':
    'Chỉ băm {examined} / {count} khung hình, không khung nào khớp danh sách: cần người xem cả tệp',
  'caseReason.reviewFramesUnhashedApng':
    'Ảnh PNG động: chỉ băm được {examined} / {count} khung hình, không bộ giải mã nào ở đây đọc được các khung sau: cần người xem cả tệp',
  'caseReason.reviewFramesUnscored':
    'Bộ phân loại chỉ chấm {examined} / {count} khung hình, rủi ro dưới ngưỡng ({why, select, no-decoder {ảnh PNG động: không đọc được các khung sau} time-limit {hết thời gian giải mã} decode-refused {không giải mã được các khung sau} other {giới hạn số khung}}): cần người xem cả tệp',
  'caseReason.reviewClassifier': 'Bộ phân loại đánh giá rủi ro {score}: cần người xem xét',
  'caseReason.reviewClassifierUnknown': 'Bộ phân loại yêu cầu người xem xét',
  'caseReason.confirmAutomatic':
    'Tự động khớp ngân hàng {banks}: đã ban hành {orders, plural, =0 {không lệnh nào} other {# lệnh}}',
  'caseReason.confirmAutomaticCategories':
    'Tự động khớp ngân hàng {banks} (mức {categories}): đã ban hành {orders, plural, =0 {không lệnh nào} other {# lệnh}}',
  'caseReason.confirmConfirmed':
    '{by} xác nhận mức {category}: đã ban hành {orders, plural, =0 {không lệnh nào} other {# lệnh}}',
  'caseReason.withheld': '{reason}; lệnh gỡ bỏ tới {platform} bị giữ lại, chưa gửi (xem bên dưới)',
} as const;
