WITH roll AS MATERIALIZED 
(SELECT pupil.id AS id, pupil.upn AS upn, pupil.date_of_birth AS date_of_birth, (SELECT count(*) AS count_1 
FROM attendance_mark 
WHERE attendance_mark.pupil_id = pupil.id AND attendance_mark.date BETWEEN %(year_start)s::DATE AND %(as_of)s::DATE) AS marks 
FROM pupil 
WHERE pupil.school_id = %(school_id)s::VARCHAR AND pupil.admission_date <= %(as_of)s::DATE AND (pupil.leaving_date IS NULL OR pupil.leaving_date >= %(as_of)s::DATE)), 
others AS MATERIALIZED 
(SELECT attendance_mark.pupil_id AS pupil_id, attendance_mark.date AS date, attendance_mark.session AS session, attendance_mark.code AS code 
FROM attendance_mark JOIN roll ON roll.id = attendance_mark.pupil_id 
WHERE attendance_mark.code NOT IN ('/', '\') AND attendance_mark.date <= %(as_of)s::DATE), 
other_totals AS 
(SELECT others.pupil_id AS pupil_id, count(*) FILTER (WHERE others.date >= %(year_start)s::DATE) AS marks, count(*) FILTER (WHERE others.date >= %(year_start)s::DATE AND others.code IN (%(code_1_1)s::VARCHAR, %(code_1_2)s::VARCHAR, %(code_1_3)s::VARCHAR, %(code_1_4)s::VARCHAR, %(code_1_5)s::VARCHAR, %(code_1_6)s::VARCHAR, %(code_1_7)s::VARCHAR, %(code_1_8)s::VARCHAR, %(code_1_9)s::VARCHAR, %(code_1_10)s::VARCHAR, %(code_1_11)s::VARCHAR, %(code_1_12)s::VARCHAR)) AS not_possible, count(*) FILTER (WHERE others.date >= %(year_start)s::DATE AND others.code = %(code_2)s::VARCHAR) AS late, count(*) FILTER (WHERE others.date >= %(year_start)s::DATE AND others.code IN (%(code_3_1)s::VARCHAR, %(code_3_2)s::VARCHAR, %(code_3_3)s::VARCHAR, %(code_3_4)s::VARCHAR, %(code_3_5)s::VARCHAR)) AS aea, count(*) FILTER (WHERE others.date >= %(year_start)s::DATE AND others.code IN (%(code_4_1)s::VARCHAR, %(code_4_2)s::VARCHAR, %(code_4_3)s::VARCHAR, %(code_4_4)s::VARCHAR, %(code_4_5)s::VARCHAR, %(code_4_6)s::VARCHAR, %(code_4_7)s::VARCHAR, %(code_4_8)s::VARCHAR, %(code_4_9)s::VARCHAR, %(code_4_10)s::VARCHAR)) AS authorised, count(*) FILTER (WHERE others.date >= %(year_start)s::DATE AND others.code IN (%(code_5_1)s::VARCHAR, %(code_5_2)s::VARCHAR, %(code_5_3)s::VARCHAR, %(code_5_4)s::VARCHAR)) AS unauthorised, count(*) FILTER (WHERE others.date >= %(half_term_start)s::DATE AND others.code = %(code_6)s::VARCHAR) AS l_half_term, count(*) FILTER (WHERE others.date >= %(term_start)s::DATE AND others.code = %(code_7)s::VARCHAR) AS l_term, count(*) FILTER (WHERE others.date >= %(half_term_start)s::DATE AND others.code = %(code_8)s::VARCHAR) AS u_half_term, count(*) FILTER (WHERE others.date >= %(term_start)s::DATE AND others.code = %(code_9)s::VARCHAR) AS u_term, count(DISTINCT others.date) FILTER (WHERE others.date >= %(year_start)s::DATE AND others.code = %(code_10)s::VARCHAR) AS ill_days 
FROM others GROUP BY others.pupil_id), 
unauthorised AS 
(SELECT others.pupil_id AS pupil_id, others.date AS date, others.code AS code, school_day.day_index AS day_index, school_day.sessions AS sessions, school_day.school_week AS school_week, lag(school_day.school_week, %(lag_1)s::INTEGER) OVER (PARTITION BY others.pupil_id ORDER BY others.date, others.session) AS week_back 
FROM others JOIN school_day ON school_day.school_id = %(school_id)s::VARCHAR AND school_day.date = others.date 
WHERE others.code IN (%(code_12_1)s::VARCHAR, %(code_12_2)s::VARCHAR, %(code_12_3)s::VARCHAR, %(code_12_4)s::VARCHAR)), 
threshold AS 
(SELECT unauthorised.pupil_id AS pupil_id, count(*) FILTER (WHERE unauthorised.date >= %(window_start)s::DATE) AS rolling, count(*) FILTER (WHERE unauthorised.code = %(code_11)s::VARCHAR AND unauthorised.date <= %(overdue_n_before)s::DATE) AS overdue_n, min(CASE WHEN (unauthorised.school_week - unauthorised.week_back < %(param_1)s::INTEGER) THEN unauthorised.date END) AS first_met 
FROM unauthorised GROUP BY unauthorised.pupil_id), 
full_days AS 
(SELECT unauthorised.pupil_id AS pupil_id, unauthorised.day_index AS day_index, row_number() OVER (PARTITION BY unauthorised.pupil_id ORDER BY unauthorised.day_index DESC) AS back 
FROM unauthorised GROUP BY unauthorised.pupil_id, unauthorised.day_index, unauthorised.sessions 
HAVING count(*) = unauthorised.sessions), 
run AS 
(SELECT full_days.pupil_id AS pupil_id, count(*) AS run 
FROM full_days 
WHERE (full_days.day_index + full_days.back) - %(param_2)s::INTEGER = %(last_school_day_index)s::INTEGER GROUP BY full_days.pupil_id)
 SELECT roll.upn, roll.date_of_birth, roll.marks - coalesce(other_totals.not_possible, %(coalesce_1)s::INTEGER) AS possible, (roll.marks - coalesce(other_totals.marks, %(coalesce_2)s::INTEGER)) + coalesce(other_totals.late, %(coalesce_3)s::INTEGER) AS present, coalesce(other_totals.aea, %(coalesce_4)s::INTEGER) AS aea, coalesce(other_totals.authorised, %(coalesce_5)s::INTEGER) AS authorised, coalesce(other_totals.unauthorised, %(coalesce_6)s::INTEGER) AS unauthorised, coalesce(threshold.rolling, %(coalesce_7)s::INTEGER) AS rolling, threshold.first_met, coalesce(run.run, %(coalesce_8)s::INTEGER) AS run, coalesce(other_totals.ill_days, %(coalesce_9)s::INTEGER) AS illness_days, coalesce(other_totals.l_half_term, %(coalesce_10)s::INTEGER) AS l_half_term, coalesce(other_totals.l_term, %(coalesce_11)s::INTEGER) AS l_term, coalesce(other_totals.u_half_term, %(coalesce_12)s::INTEGER) AS u_half_term, coalesce(other_totals.u_term, %(coalesce_13)s::INTEGER) AS u_term, coalesce(threshold.overdue_n, %(coalesce_14)s::INTEGER) AS overdue_n 
FROM roll LEFT OUTER JOIN other_totals ON other_totals.pupil_id = roll.id LEFT OUTER JOIN threshold ON threshold.pupil_id = roll.id LEFT OUTER JOIN run ON run.pupil_id = roll.id ORDER BY roll.upn