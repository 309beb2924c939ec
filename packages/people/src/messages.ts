import type { PasswordProblem } from './password.js';

/** Languages people are answered in: Vietnamese by default, English on request (`Accept-Language`). */
export type Language = 'vi' | 'en';

type Text = Readonly<Record<Language, string>>;

/** What a person is told, in both languages. Codes and logs stay in English; these are for people. */
export const PeopleMessages = {
  'sign-in-failed': {
    vi: 'Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng. Nếu vừa dùng mã này, hãy chờ mã tiếp theo.',
    en: 'Wrong login, password or code. If you have just used this code, wait for the next one.',
  },
  'sign-in-throttled': {
    vi: 'Có quá nhiều lần đăng nhập sai từ địa chỉ này. Hãy thử lại sau ít phút.',
    en: 'Too many failed sign-ins from this address. Try again in a few minutes.',
  },
  'account-disabled': {
    vi: 'Tài khoản này đã bị vô hiệu hóa. Hãy liên hệ quản trị viên.',
    en: 'This account is disabled. Contact an administrator.',
  },
  'session-invalid': {
    vi: 'Phiên làm việc đã hết hạn hoặc đã kết thúc. Hãy đăng nhập lại.',
    en: 'The session has expired or has ended. Sign in again.',
  },
  'session-required': {
    vi: 'Chức năng này chỉ dành cho người đã đăng nhập, không dùng khóa API.',
    en: 'This is for signed-in people, not for API keys.',
  },
  'citizen-reports-oversight-only': {
    vi: 'Báo cáo của người dân chỉ dành cho người kiểm duyệt của đường dây nóng và quản trị viên. Cơ quan chức năng xem các báo cáo được chuyển đến mình trong mục Báo cáo được chuyển.',
    en: "Citizens' reports are for the hotline's and the administrators' reviewers only. An authority reads the reports referred to it under Referred reports.",
  },
  csrf: {
    vi: 'Thiếu hoặc sai mã chống giả mạo yêu cầu (tiêu đề x-csrf-token).',
    en: 'Missing or wrong anti-forgery token (the x-csrf-token header).',
  },
  'password-change-required': {
    vi: 'Hãy đặt mật khẩu mới thay cho mật khẩu dùng một lần trước khi làm việc khác.',
    en: 'Replace the one-time password with a new password before anything else.',
  },
  'totp-enrolment-required': {
    vi: 'Hãy đăng ký ứng dụng xác thực (mã TOTP) trước khi làm việc khác.',
    en: 'Enrol an authenticator app (TOTP codes) before anything else.',
  },
  'not-in-this-step': {
    vi: 'Bước này không áp dụng cho phiên làm việc hiện tại.',
    en: 'This step does not apply to the current session.',
  },
  'current-password-wrong': {
    vi: 'Mật khẩu hiện tại không đúng.',
    en: 'The current password is wrong.',
  },
  'same-password': {
    vi: 'Mật khẩu mới phải khác mật khẩu hiện tại.',
    en: 'The new password must differ from the current one.',
  },
  'enrolment-code-wrong': {
    vi: 'Mã xác thực không đúng. Hãy kiểm tra đồng hồ của thiết bị và nhập mã mới.',
    en: "Wrong code. Check the device's clock and enter a new code.",
  },
  'people-key-missing': {
    vi: 'Máy chủ chưa được cấu hình khóa bảo vệ tài khoản người dùng (MOD_PEOPLE_SECRET_KEY).',
    en: 'The server has no key for staff accounts (MOD_PEOPLE_SECRET_KEY).',
  },
  'role-not-for-people': {
    vi: 'Vai trò này dành cho máy (khóa API), không dành cho tài khoản người dùng.',
    en: 'This role is for machines (API keys), not for staff accounts.',
  },
  'login-taken': {
    vi: 'Tên đăng nhập này đã được dùng.',
    en: 'This login is already taken.',
  },
  'not-yourself': {
    vi: 'Không thể tự vô hiệu hóa hoặc đặt lại tài khoản của chính mình.',
    en: 'You cannot disable or reset your own account.',
  },
} as const satisfies Record<string, Text>;
export type PeopleMessageId = keyof typeof PeopleMessages;

const PROBLEMS: Readonly<Record<PasswordProblem, Text>> = {
  'too-short': { vi: 'cần ít nhất 12 ký tự', en: 'at least 12 characters' },
  'too-long': { vi: 'tối đa 256 ký tự', en: 'at most 256 characters' },
  'control-characters': { vi: 'không chứa ký tự điều khiển', en: 'no control characters' },
  'contains-login': { vi: 'không chứa tên đăng nhập', en: 'must not contain the login' },
};

/** A message in `language`. */
export function peopleMessage(id: PeopleMessageId, language: Language): string {
  return PeopleMessages[id][language];
}

/** Why a new password is refused, in `language`. */
export function passwordProblemsMessage(problems: readonly PasswordProblem[], language: Language): string {
  const list = problems.map((p) => PROBLEMS[p][language]).join('; ');
  return language === 'vi'
    ? `Mật khẩu mới chưa đạt: ${list}.`
    : `The new password is not acceptable: ${list}.`;
}

/**
 * The language to answer in from an `Accept-Language` header: English when English is preferred over
 * Vietnamese (higher q, or listed first at equal q), Vietnamese otherwise, and when the header is absent.
 */
export function preferredLanguage(acceptLanguage: string | undefined): Language {
  if (acceptLanguage === undefined) return 'vi';
  let best: { lang: Language; q: number } | null = null;
  for (const part of acceptLanguage.split(',').slice(0, 20)) {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';');
    const lang = tag.split('-')[0];
    if (lang !== 'vi' && lang !== 'en') continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q) || q <= 0) continue;
    if (best === null || q > best.q) best = { lang, q };
  }
  return best?.lang ?? 'vi';
}
