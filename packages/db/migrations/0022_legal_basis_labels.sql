-- The console offers an authority the legal bases an order may cite, in Vietnamese and English: the citation and
-- the authority named in each language (the English columns are the existing ones; a basis without Vietnamese
-- text shows the English). Operators keep both when they add a basis.
alter table legal_bases add column citation_vi text, add column authority_vi text;
update legal_bases set
  citation_vi = 'Nghị định 147/2024/NĐ-CP: gỡ bỏ trong 24 giờ kể từ khi có yêu cầu của cơ quan có thẩm quyền',
  authority_vi = 'Bộ Thông tin và Truyền thông'
where id = 'vn-decree-147-request';
update legal_bases set
  citation_vi = 'Nghị định 147/2024/NĐ-CP: gỡ bỏ trong 48 giờ kể từ khi có khiếu nại có cơ sở',
  authority_vi = 'Bộ Thông tin và Truyền thông'
where id = 'vn-decree-147-complaint';
update legal_bases set
  citation_vi = 'Quy định (EU) 2021/784 (TCO), Điều 3(3): gỡ bỏ trong một giờ',
  authority_vi = 'Cơ quan có thẩm quyền'
where id = 'eu-tco';
