import type { Category, Decision } from './decisions.js';
import { ReviewRefusalCode } from './refusals.js';

/** Languages of the texts people read: Vietnamese first (the default), English. */
export const Languages = ['vi', 'en'] as const;
export type Language = (typeof Languages)[number];
type Texts = Readonly<Record<Language, string>>;

/** What each decision is called, for the console and reports. */
export const DecisionLabels: Readonly<Record<Decision, Texts>> = {
  confirm: { vi: 'Xác nhận vi phạm', en: 'Confirm' },
  dismiss: { vi: 'Bác bỏ', en: 'Dismiss' },
  escalate: { vi: 'Chuyển lên cơ quan có thẩm quyền', en: 'Escalate to an authority' },
};

/** IWF's categories, as a reviewer chooses among them. */
export const CategoryLabels: Readonly<Record<Category, Texts>> = {
  A: {
    vi: 'Loại A: hoạt động tình dục có xâm nhập, với động vật hoặc có tính bạo dâm',
    en: 'Category A: penetrative sexual activity, sexual activity with an animal, or sadism',
  },
  B: { vi: 'Loại B: hoạt động tình dục không xâm nhập', en: 'Category B: non-penetrative sexual activity' },
  C: {
    vi: 'Loại C: hình ảnh khiếm nhã khác không thuộc loại A hoặc B',
    en: 'Category C: other indecent images not in category A or B',
  },
};

/** Every refusal in both languages (the API answers with the code and the English message). */
export const RefusalTexts: Readonly<Record<ReviewRefusalCode, Texts>> = {
  [ReviewRefusalCode.PersonRequired]: {
    vi: 'Chỉ người đã đăng nhập mới được xử lý; khóa API của máy không được phép.',
    en: 'Only a signed-in person may do this; a machine API key may not.',
  },
  [ReviewRefusalCode.NotYourQueue]: {
    vi: 'Vai trò của bạn không xử lý loại hồ sơ này.',
    en: 'Your role does not work this kind of case.',
  },
  [ReviewRefusalCode.CaseClosed]: { vi: 'Hồ sơ đã được quyết định.', en: 'The case is decided.' },
  [ReviewRefusalCode.CaseClaimed]: {
    vi: 'Một người khác đang xử lý hồ sơ này.',
    en: 'Another person is working on this case.',
  },
  [ReviewRefusalCode.NotClaimed]: { vi: 'Hãy nhận hồ sơ trước.', en: 'Claim the case first.' },
  [ReviewRefusalCode.ClaimExpired]: {
    vi: 'Thời hạn nhận hồ sơ của bạn đã hết; hãy nhận lại.',
    en: 'Your claim has expired; claim the case again.',
  },
  [ReviewRefusalCode.DecisionNotAllowed]: {
    vi: 'Quyết định này không áp dụng cho loại hồ sơ này.',
    en: 'This decision does not apply to this kind of case.',
  },
  [ReviewRefusalCode.ReasonInvalid]: {
    vi: 'Cần nêu lý do (1 đến 2.000 ký tự, không có ký tự điều khiển).',
    en: 'A reason is required (1 to 2,000 characters, no control characters).',
  },
  [ReviewRefusalCode.CategoryRequired]: {
    vi: 'Khi xác nhận, hãy chọn loại A, B hoặc C.',
    en: 'A confirmation names the category: A, B or C.',
  },
  [ReviewRefusalCode.CategoryNotAllowed]: {
    vi: 'Chỉ quyết định xác nhận mới có loại.',
    en: 'Only a confirmation carries a category.',
  },
  [ReviewRefusalCode.FieldNotAllowed]: {
    vi: 'Trường này không thuộc quyết định đã chọn.',
    en: 'This field does not belong to the chosen decision.',
  },
  [ReviewRefusalCode.ProposalBankMismatch]: {
    vi: 'Hồ sơ bác bỏ chỉ được đề xuất vào danh sách âm tính; hồ sơ xác nhận vào danh sách không âm tính.',
    en: 'A dismissed case is proposed for a negative bank, a confirmed one for a bank that is not negative.',
  },
  [ReviewRefusalCode.ProposalNoSignals]: {
    vi: 'Danh sách không nhận loại mã băm nào của nội dung này.',
    en: 'The bank takes none of the hashes this content has.',
  },
  [ReviewRefusalCode.CuratorRequired]: {
    vi: 'Đề xuất đưa vào danh sách do người quản lý danh sách quyết định.',
    en: 'Bank proposals are decided by curators.',
  },
  [ReviewRefusalCode.SamePerson]: {
    vi: 'Người khác phải quyết định đề xuất của bạn: luôn cần hai người.',
    en: 'Another person must decide your proposal: two people, never one.',
  },
  [ReviewRefusalCode.ProposalDecided]: {
    vi: 'Đề xuất đã được quyết định.',
    en: 'The proposal is decided.',
  },
  [ReviewRefusalCode.FilterInvalid]: { vi: 'Bộ lọc không hợp lệ.', en: 'The filter is not valid.' },
  [ReviewRefusalCode.CursorInvalid]: { vi: 'Con trỏ trang không hợp lệ.', en: 'Not a cursor of this queue.' },
  [ReviewRefusalCode.SettingInvalid]: {
    vi: 'Giá trị cài đặt nằm ngoài phạm vi cho phép.',
    en: 'A setting is out of its range.',
  },
  [ReviewRefusalCode.ExposureLimit]: {
    vi: 'Bạn đã đạt giới hạn xem ảnh gốc trong ngày; hãy nghỉ ngơi hoặc nhờ đồng nghiệp.',
    en: 'You reached today’s limit of full-image reveals; take a break or ask a colleague.',
  },
};

/** A refusal's text in `language` (Vietnamese by default). */
export function refusalText(code: ReviewRefusalCode, language: Language = 'vi'): string {
  return RefusalTexts[code][language];
}
