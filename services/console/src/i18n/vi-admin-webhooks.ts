/**
 * Vietnamese: the admin's screen of tenants' order webhooks (where order notices and escalations are pushed);
 * spread into the catalogue (vi.ts). Kept apart so that the main catalogue stays readable.
 */
export const viAdminWebhooks = {
  'webhooks.title': 'Webhook nhận thông báo lệnh',
  'webhooks.intro':
    'Nơi hệ thống đẩy thông báo lệnh và chuyển cấp tới từng đơn vị. Nhà mạng và nền tảng tự đặt webhook của mình; webhook của cơ quan chức năng chỉ quản trị viên đặt. Khoá ký không bao giờ hiển thị lại.',
  'webhooks.none': 'Chưa có đơn vị nào nhận lệnh.',
  'webhooks.target': 'Địa chỉ nhận',
  'webhooks.notSet': 'Chưa đặt',
  'webhooks.state': 'Trạng thái',
  'webhooks.on': 'Đang bật',
  'webhooks.off': 'Đang tắt',
  'webhooks.secret': 'Khoá ký',
  'webhooks.secretSet': 'Đã đặt',
  'webhooks.secretNone': 'Chưa có',
  'webhooks.changed': 'Thay đổi gần nhất',
  'webhooks.setBy': 'Đặt lúc {at}, bởi {who}',
  'webhooks.clearedBy': 'Xoá lúc {at}, bởi {who}',
  'webhooks.setAt': 'Đặt lúc {at}',
  'webhooks.deliveries': 'Tình trạng gửi',
  'webhooks.counts': 'Chờ gửi {pending} · đã gửi {delivered} · thất bại {failed} · đã huỷ {cancelled}',
  'webhooks.lastOk': 'Lần thử gần nhất thành công lúc {at} (HTTP {status})',
  'webhooks.lastFailed': 'Lần thử gần nhất thất bại lúc {at}: {error}',
  'webhooks.neverTried': 'Chưa gửi lần nào',
  'webhooks.set': 'Đặt webhook cho cơ quan chức năng',
  'webhooks.authority': 'Cơ quan chức năng',
  'webhooks.noAuthority': 'Chưa có cơ quan chức năng nào.',
  'webhooks.url': 'Địa chỉ HTTPS nhận thông báo',
  'webhooks.urlHint':
    'https:// trên tên miền công khai; tên miền phải phân giải được, và chỉ tới địa chỉ công khai. Mỗi lần đặt cấp một khoá ký mới.',
  'webhooks.save': 'Đặt webhook',
  'webhooks.saved': 'Đã đặt webhook của {tenant} (đã ghi vào nhật ký kiểm toán).',
  'webhooks.savedCancelled':
    'Đã đặt webhook của {tenant} sang địa chỉ mới; {cancelled} thông báo đang chờ gửi tới địa chỉ cũ đã bị huỷ, không gửi tới địa chỉ mới (đã ghi vào nhật ký kiểm toán).',
  'webhooks.secretLabel': 'khoá ký webhook của {tenant} (gửi cho cơ quan để kiểm chữ ký)',
  'webhooks.clear': 'Xoá webhook',
  'webhooks.clearConfirm': 'Xác nhận xoá webhook của {tenant}',
  'webhooks.cancel': 'Huỷ',
  'webhooks.cleared':
    'Đã xoá webhook của {tenant}: không còn thông báo nào được đẩy tới; {cancelled} thông báo đang chờ đã bị huỷ, không gửi tới webhook nào đặt sau (đã ghi vào nhật ký kiểm toán).',
  'webhooks.targetRefused':
    'Địa chỉ bị từ chối: tên máy chủ phải phân giải được, và chỉ tới địa chỉ công khai (không phải địa chỉ nội bộ, loopback hay mạng riêng).',
  'webhooks.urlInvalid':
    'Địa chỉ không hợp lệ: phải là https:// trên một tên miền công khai (không phải địa chỉ IP, localhost hay tên nội bộ), không kèm tên đăng nhập hay mật khẩu.',
} as const;
