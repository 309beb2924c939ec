/**
 * Vietnamese: switching a tenant off and on again on the admin page (admin-tenant-switch.tsx); spread into the
 * catalogue (vi.ts).
 */
export const viAdminTenants = {
  'tenantSwitch.actions': 'Bật/tắt',
  'tenantSwitch.off': 'Tắt đơn vị',
  'tenantSwitch.on': 'Bật lại đơn vị',
  'tenantSwitch.confirmOff':
    'Tắt đơn vị {tenant}? Mọi khoá API và chứng chỉ của đơn vị ngừng hoạt động ngay, và mọi phiên đăng nhập của người dùng thuộc đơn vị kết thúc.',
  'tenantSwitch.confirmOn':
    'Bật lại đơn vị {tenant}? Khoá API và chứng chỉ hoạt động trở lại; người dùng phải đăng nhập lại.',
  'tenantSwitch.yesOff': 'Xác nhận tắt {tenant}',
  'tenantSwitch.yesOn': 'Xác nhận bật lại {tenant}',
  'tenantSwitch.cancel': 'Huỷ',
  'tenantSwitch.doneOff': 'Đã tắt đơn vị {tenant}: {count, plural, other {# phiên đăng nhập đã kết thúc}}.',
  'tenantSwitch.doneOn':
    'Đã bật lại đơn vị {tenant}: {count, plural, other {# phiên đăng nhập còn sót đã kết thúc}}.',
  'error.notYourself':
    'Không thể làm việc này với chính bạn hay đơn vị của bạn (mọi quản trị viên sẽ bị khoá ngoài).',
} as const;
