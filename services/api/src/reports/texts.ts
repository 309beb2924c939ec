import type { ReportCategory, ReportStatus } from '@mod/db/reports';

export type Lang = 'vi' | 'en';

/** Every text of the public report pages, in Vietnamese (the default) and English. */
export interface ReportTexts {
  title: string;
  intro: string;
  noFiles: string;
  urlsLabel: string;
  urlsHint: string;
  seenWhereLabel: string;
  seenWhereHint: string;
  categoryLabel: string;
  categories: Record<ReportCategory, string>;
  descriptionLabel: string;
  descriptionHint: string;
  contactLegend: string;
  contactIntro: string;
  nameLabel: string;
  phoneLabel: string;
  emailLabel: string;
  consentContact: string;
  consentFollowUp: string;
  honeypotLabel: string;
  submit: string;
  powWorking: string;
  sentTitle: string;
  sentBody: string;
  codeLabel: string;
  keepCode: string;
  statusTitle: string;
  statusLookup: string;
  statusCodeLabel: string;
  statusReceivedAt: string;
  statuses: Record<ReportStatus, { label: string; explain: string }>;
  statusUnknown: string;
  /** Past the look-ups allowed from one address: the code is not at fault. */
  statusLimited: string;
  errorTitle: string;
  urgent: string;
  otherLanguage: string;
  checkStatusLink: string;
  newReportLink: string;
  errors: Record<string, string>;
}

/** One text for every code of a body the API could not read as a form (only a hand-made post gets these). */
const unreadable = (text: string): Record<string, string> =>
  Object.fromEntries(
    [
      'MOD_ERR_API_VALIDATION',
      'MOD_ERR_API_UNKNOWN_FIELD',
      'MOD_ERR_API_BAD_REQUEST',
      'MOD_ERR_API_BAD_JSON',
      'MOD_ERR_API_UNSUPPORTED_MEDIA_TYPE',
    ].map((code) => [code, text]),
  );

const vi: ReportTexts = {
  title: 'Báo cáo nội dung xâm hại trẻ em trên mạng',
  intro:
    'Bạn không cần tài khoản. Hãy cho chúng tôi biết đường dẫn (URL) tới nội dung xâm hại trẻ em. Chúng tôi sẽ xem xét và yêu cầu gỡ bỏ hoặc chặn nội dung vi phạm.',
  noFiles:
    'Xin đừng tải lên hay gửi kèm hình ảnh, video: lưu giữ hoặc gửi đi những nội dung này có thể gây hại thêm cho trẻ em và là vi phạm pháp luật. Chỉ cần gửi đường dẫn.',
  urlsLabel: 'Đường dẫn (URL)',
  urlsHint: 'Mỗi dòng một đường dẫn, tối đa 10, bắt đầu bằng http:// hoặc https://',
  seenWhereLabel: 'Bạn thấy nội dung ở đâu?',
  seenWhereHint: 'Ví dụ: tên trang web, mạng xã hội, nhóm trò chuyện (không bắt buộc)',
  categoryLabel: 'Loại nội dung',
  categories: {
    csam: 'Hình ảnh hoặc video xâm hại tình dục trẻ em',
    grooming: 'Dụ dỗ, tiếp cận trẻ em với mục đích xấu',
    sextortion: 'Tống tiền bằng hình ảnh nhạy cảm',
    'self-generated': 'Hình ảnh trẻ em tự chụp bị phát tán',
    other: 'Khác',
  },
  descriptionLabel: 'Mô tả',
  descriptionHint: 'Những gì bạn thấy, không cần mô tả chi tiết hình ảnh (không bắt buộc, tối đa 4000 ký tự)',
  contactLegend: 'Thông tin liên hệ (không bắt buộc)',
  contactIntro:
    'Chỉ điền nếu bạn đồng ý để Tổng đài 111 liên hệ lại. Thông tin được mã hóa, chỉ tổng đài viên đọc được và sẽ bị xóa sau thời hạn lưu trữ.',
  nameLabel: 'Họ tên',
  phoneLabel: 'Số điện thoại',
  emailLabel: 'Thư điện tử',
  consentContact: 'Tôi đồng ý để Tổng đài 111 lưu thông tin liên hệ này',
  consentFollowUp: 'Tôi muốn được liên hệ lại về báo cáo này',
  honeypotLabel: 'Để trống ô này',
  submit: 'Gửi báo cáo',
  powWorking: 'Đang gửi…',
  sentTitle: 'Đã nhận báo cáo của bạn',
  sentBody: 'Cảm ơn bạn. Mỗi báo cáo đều được xử lý và ghi nhận kết quả.',
  codeLabel: 'Mã theo dõi',
  keepCode:
    'Hãy ghi lại mã này: chỉ với mã này bạn mới xem được tiến độ xử lý. Chúng tôi không lưu mã và không thể gửi lại.',
  statusTitle: 'Tiến độ xử lý báo cáo',
  statusLookup: 'Xem tiến độ',
  statusCodeLabel: 'Mã theo dõi',
  statusReceivedAt: 'Ngày nhận',
  statuses: {
    received: { label: 'Đã tiếp nhận', explain: 'Báo cáo đang chờ được xử lý.' },
    assessing: { label: 'Đang đánh giá', explain: 'Một người có trách nhiệm đang xem xét báo cáo.' },
    actioned: { label: 'Đã xử lý', explain: 'Đã có yêu cầu gỡ bỏ hoặc chặn nội dung.' },
    'no-action': {
      label: 'Không thể xử lý',
      explain: 'Sau khi xem xét, không có biện pháp nào có thể thực hiện với nội dung này.',
    },
  },
  statusUnknown: 'Không tìm thấy báo cáo với mã này. Hãy kiểm tra lại mã.',
  statusLimited:
    'Có quá nhiều lượt tra cứu từ địa chỉ mạng của bạn. Hãy thử lại sau ít phút; mã của bạn vẫn dùng được.',
  errorTitle: 'Chưa gửi được báo cáo',
  urgent: 'Nếu một trẻ em đang gặp nguy hiểm, hãy gọi ngay 111 (miễn phí) hoặc 113.',
  otherLanguage: 'English',
  checkStatusLink: 'Xem tiến độ một báo cáo đã gửi',
  newReportLink: 'Gửi báo cáo khác',
  errors: {
    MOD_ERR_API_REPORT_NO_URL: 'Hãy nhập ít nhất một đường dẫn.',
    MOD_ERR_API_REPORT_TOO_MANY_URLS: 'Tối đa 10 đường dẫn cho mỗi báo cáo.',
    MOD_ERR_API_REPORT_BAD_URL:
      'Có đường dẫn không hợp lệ: hãy dùng địa chỉ đầy đủ, bắt đầu bằng http:// hoặc https://.',
    MOD_ERR_API_REPORT_CATEGORY: 'Hãy chọn loại nội dung.',
    MOD_ERR_API_REPORT_TOO_LONG: 'Nội dung quá dài hoặc chứa ký tự điều khiển không được phép.',
    MOD_ERR_API_REPORT_CONSENT:
      'Để lưu thông tin liên hệ, hãy đánh dấu ô đồng ý (hoặc để trống thông tin liên hệ).',
    MOD_ERR_API_REPORT_CONTACT: 'Thông tin liên hệ không hợp lệ.',
    MOD_ERR_API_REPORT_REJECTED: 'Không thể nhận báo cáo này.',
    MOD_ERR_API_REPORT_CROSS_SITE:
      'Biểu mẫu này được gửi từ một trang web khác nên không được nhận. Nếu bạn muốn báo cáo, hãy điền biểu mẫu dưới đây.',
    MOD_ERR_API_REPORT_FORM_EXPIRED:
      'Biểu mẫu đã hết hạn hoặc đã được gửi. Nếu bạn vừa bấm Gửi, báo cáo có thể đã được nhận; nếu chưa, hãy tải lại trang và gửi lại.',
    MOD_ERR_API_REPORT_POW: 'Trình duyệt chưa hoàn tất bước kiểm tra chống lạm dụng. Hãy thử lại.',
    MOD_ERR_API_REPORT_RATE_LIMITED:
      'Có quá nhiều báo cáo từ địa chỉ của bạn. Hãy thử lại sau ít phút, hoặc gọi 111.',
    MOD_ERR_API_REPORT_BUSY: 'Hệ thống đang quá tải. Hãy thử lại sau ít phút, hoặc gọi 111.',
    MOD_ERR_API_REPORT_NO_FILES: 'Biểu mẫu không nhận tệp. Chỉ gửi đường dẫn.',
    MOD_ERR_API_REPORT_CONTACT_UNAVAILABLE:
      'Hiện chưa thể lưu thông tin liên hệ. Hãy gửi báo cáo không kèm thông tin liên hệ, hoặc gọi 111.',
    MOD_ERR_API_REPORT_REPLAY_UNAVAILABLE:
      'Hiện chưa thể nhận báo cáo gửi kèm khóa chống gửi trùng (Idempotency-Key). Hãy gửi không kèm khóa này, hoặc gọi 111.',
    // Refusals before the form's own checks, and failures of the service: the page says them in words too.
    MOD_ERR_API_TOO_LARGE: 'Báo cáo quá dài để gửi. Hãy rút ngắn phần mô tả hoặc bớt đường dẫn, rồi gửi lại.',
    ...unreadable('Không đọc được biểu mẫu. Hãy tải lại trang và gửi lại.'),
    MOD_ERR_API_UNAVAILABLE:
      'Hệ thống tạm thời gián đoạn, báo cáo chưa được gửi. Hãy thử lại sau ít phút, hoặc gọi 111.',
    MOD_ERR_API_INTERNAL: 'Đã có lỗi, báo cáo chưa được gửi. Hãy thử lại sau ít phút, hoặc gọi 111.',
  },
};

const en: ReportTexts = {
  title: 'Report child sexual abuse material online',
  intro:
    'No account needed. Tell us the address (URL) of content that abuses children. We assess every report and have illegal content taken down or blocked.',
  noFiles:
    'Please do not upload or attach images or videos: keeping or sending them can harm the children further and is against the law. The link is all we need.',
  urlsLabel: 'Addresses (URLs)',
  urlsHint: 'One per line, at most 10, starting with http:// or https://',
  seenWhereLabel: 'Where did you see it?',
  seenWhereHint: 'For example a website, social network or chat group (optional)',
  categoryLabel: 'Kind of content',
  categories: {
    csam: 'Images or videos of child sexual abuse',
    grooming: 'Grooming: approaching a child with harmful intent',
    sextortion: 'Sexual extortion with intimate images',
    'self-generated': "A child's own images shared without consent",
    other: 'Other',
  },
  descriptionLabel: 'Description',
  descriptionHint:
    'What you saw; no need to describe the images in detail (optional, at most 4000 characters)',
  contactLegend: 'Contact details (optional)',
  contactIntro:
    'Fill these in only if you agree that the 111 hotline may contact you. They are encrypted, readable only by the hotline, and deleted after the retention period.',
  nameLabel: 'Name',
  phoneLabel: 'Phone',
  emailLabel: 'E-mail',
  consentContact: 'I agree that the 111 hotline keeps these contact details',
  consentFollowUp: 'I would like to be contacted about this report',
  honeypotLabel: 'Leave this field empty',
  submit: 'Send the report',
  powWorking: 'Sending…',
  sentTitle: 'Your report was received',
  sentBody: 'Thank you. Every report is handled and its outcome recorded.',
  codeLabel: 'Tracking code',
  keepCode:
    'Write this code down: it is the only way to see the progress of your report. We do not keep it and cannot send it again.',
  statusTitle: 'Progress of a report',
  statusLookup: 'See progress',
  statusCodeLabel: 'Tracking code',
  statusReceivedAt: 'Received',
  statuses: {
    received: { label: 'Received', explain: 'The report is waiting to be handled.' },
    assessing: { label: 'Being assessed', explain: 'A responsible person is assessing the report.' },
    actioned: { label: 'Action taken', explain: 'Takedown or blocking of the content has been ordered.' },
    'no-action': {
      label: 'No action possible',
      explain: 'After assessment, no action could be taken on this content.',
    },
  },
  statusUnknown: 'No report has this code. Please check it.',
  statusLimited:
    'Too many look-ups from your network address. Try again in a few minutes; your code still works.',
  errorTitle: 'The report was not sent',
  urgent: 'If a child is in danger now, call 111 (free) or 113.',
  otherLanguage: 'Tiếng Việt',
  checkStatusLink: 'See the progress of a report you sent',
  newReportLink: 'Send another report',
  errors: {
    MOD_ERR_API_REPORT_NO_URL: 'Enter at least one address.',
    MOD_ERR_API_REPORT_TOO_MANY_URLS: 'At most 10 addresses per report.',
    MOD_ERR_API_REPORT_BAD_URL:
      'An address is not valid: use the full address, starting with http:// or https://.',
    MOD_ERR_API_REPORT_CATEGORY: 'Choose the kind of content.',
    MOD_ERR_API_REPORT_TOO_LONG: 'Too long, or holds control characters that are not allowed.',
    MOD_ERR_API_REPORT_CONSENT:
      'To keep contact details, tick the consent box (or leave the contact details empty).',
    MOD_ERR_API_REPORT_CONTACT: 'The contact details are not valid.',
    MOD_ERR_API_REPORT_REJECTED: 'This report cannot be accepted.',
    MOD_ERR_API_REPORT_CROSS_SITE:
      'This form was sent from another website, so it was not accepted. To make a report, fill in the form below.',
    MOD_ERR_API_REPORT_FORM_EXPIRED:
      'The form expired or was already sent. If you just pressed Send, your report was probably received; if not, reload the page and send it again.',
    MOD_ERR_API_REPORT_POW: 'Your browser did not complete the anti-abuse check. Please try again.',
    MOD_ERR_API_REPORT_RATE_LIMITED:
      'Too many reports from your address. Try again in a few minutes, or call 111.',
    MOD_ERR_API_REPORT_BUSY: 'The service is overloaded. Try again in a few minutes, or call 111.',
    MOD_ERR_API_REPORT_NO_FILES: 'The form takes no files. Send the address only.',
    MOD_ERR_API_REPORT_CONTACT_UNAVAILABLE:
      'Contact details cannot be kept right now. Send the report without them, or call 111.',
    MOD_ERR_API_REPORT_REPLAY_UNAVAILABLE:
      'A report sent with a key against double sending (Idempotency-Key) cannot be taken right now. Send it without that key, or call 111.',
    MOD_ERR_API_TOO_LARGE:
      'The report is too long to send. Shorten the description or give fewer addresses, then send it again.',
    ...unreadable('The form could not be read. Reload the page and send it again.'),
    MOD_ERR_API_UNAVAILABLE:
      'The service is interrupted and the report was not sent. Try again in a few minutes, or call 111.',
    MOD_ERR_API_INTERNAL:
      'Something went wrong and the report was not sent. Try again in a few minutes, or call 111.',
  },
};

export const REPORT_TEXTS: Readonly<Record<Lang, ReportTexts>> = { vi, en };
