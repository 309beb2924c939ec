/**
 * Vietnamese: how a blocking request is applied at its ISP (the order page's `application`, from the API): DNS
 * through the RPZ (the whole host), a host or URL filter on the ISP's proxies, or no feed at all; spread into the
 * catalogue (vi.ts).
 */
export const viBlockApplication = {
  'blockApp.title': 'Cách ISP áp dụng lệnh chặn',
  'blockApp.mechanism': 'Cơ chế',
  'blockApp.mechanism.dns': 'DNS (RPZ): chặn cả tên miền và mọi tên miền con',
  'blockApp.mechanism.host-filter': 'Bộ lọc tên miền trên proxy của ISP (danh sách tên miền)',
  'blockApp.mechanism.url-filter': 'Bộ lọc URL trên proxy HTTP của ISP: chỉ chặn đúng địa chỉ này',
  'blockApp.mechanism.none': 'Không có: không nguồn cấp nào mang được lệnh này',
  'blockApp.limit': 'Vì sao',
  'blockApp.limit.url-level':
    'Chặn ở mức URL: không đưa vào RPZ, vì DNS chỉ chặn được cả tên miền (sẽ chặn mọi nội dung khác trên máy chủ đó)',
  'blockApp.limit.ip-host': 'Địa chỉ IP: RPZ không chặn được theo tên, chỉ danh sách tên miền cho proxy',
  'blockApp.limit.not-in-zone': 'Tên miền không vừa vùng RPZ của ISP: chỉ danh sách tên miền cho proxy',
  'blockApp.limit.content-hash':
    'Lệnh theo mã băm nội dung không nêu URL hay tên miền: không nguồn cấp nào mang được',
  'blockApp.limit.not-listable': 'Đối tượng không phải URL hay tên miền mà nguồn cấp đọc được',
  'blockApp.https': 'HTTPS',
  'blockApp.httpsNote':
    'Proxy chỉ thấy đường dẫn của địa chỉ HTTPS khi ISP giải mã TLS; nếu không, ISP sẽ báo không áp dụng được',
  'blockApp.feeds': 'Nguồn cấp',
  'blockApp.feed.rpz': 'RPZ (DNS)',
  'blockApp.feed.domain-list': 'Danh sách tên miền',
  'blockApp.feed.url-list': 'Danh sách URL',
  'blockApp.noFeed': 'Không có',
  'blockApp.isp': 'ISP',
  'blockApp.listed': 'Trong nguồn cấp của ISP',
  'blockApp.listedSince': 'Có, từ số hiệu {serial} (hiện tại {current})',
  'blockApp.notListed': 'Chưa có',
  'blockApp.ack': 'Xác nhận của ISP',
  'blockApp.ack.applied': 'Đã áp dụng ({at})',
  'blockApp.ack.failed': 'Báo không áp dụng được ({at})',
  'blockApp.ack.none': 'Chưa xác nhận',
  'blockApp.state.cannot-apply':
    'Không ISP nào áp dụng được lệnh này qua nguồn cấp: nội dung CHƯA bị chặn bằng DNS hay bộ lọc.',
  'blockApp.state.not-listed':
    'Chưa vào nguồn cấp của {isp}: ISP chưa tải nguồn cấp kể từ khi lệnh được ban hành. Chưa bị chặn.',
  'blockApp.state.listed': 'Đã vào nguồn cấp của {isp}; ISP chưa xác nhận đã áp dụng.',
  'blockApp.state.applied': '{isp} xác nhận đã áp dụng.',
  'blockApp.state.failed': '{isp} báo không áp dụng được: nội dung chưa bị chặn.',
  'blockApp.state.ended': 'Lệnh đã đóng: không còn trong nguồn cấp.',
} as const;
